package node

func setDefs() []def {
	return []def{}
}
