package node

func keyDefs() []def {
	return []def{
		{name: "del", fn: cmdDel},
		{name: "exists", fn: cmdExists},
	}
}

func cmdDel(c *Client) {
	n := 0
	for _, k := range c.args[1:] {
		if c.db.Delete(slot(k), k) {
			n++
		}
	}
	c.w.Int(int64(n))
}

func cmdExists(c *Client) {
	n := 0
	for _, k := range c.args[1:] {
		if c.db.Exists(slot(k), k) {
			n++
		}
	}
	c.w.Int(int64(n))
}
