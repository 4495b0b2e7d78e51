package node

func zsetDefs() []def {
	return []def{}
}
