package node

func hashDefs() []def {
	return []def{}
}
