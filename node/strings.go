package node

func stringDefs() []def {
	return []def{
		{name: "get", fn: cmdGet},
		{name: "set", fn: cmdSet},
	}
}

func cmdGet(c *Client) {
	b, ok, err := c.db.GetString(c.slot(c.args[1]), c.args[1])
	switch {
	case err != nil:
		c.ErrFor(err)
	case !ok:
		c.w.Null()
	default:
		c.w.Bulk(b)
	}
}

// cmdSet is the seed of SET: plain SET key value.
func cmdSet(c *Client) {
	if len(c.args) != 3 {
		c.Err(errSyntax)
		return
	}
	c.db.SetString(c.slot(c.args[1]), c.args[1], c.args[2], 0, false)
	c.OK()
}
