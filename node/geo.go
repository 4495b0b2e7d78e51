package node

import (
	"math"
	"math/big"
	"slices"
	"strconv"

	"github.com/shoal-db/shoal/storage"
)

// Geo commands: positions stored in sorted sets as 52-bit interleaved geohashes (26 bits
// of longitude and latitude each, latitude limited to the Web Mercator ±85.05112878°),
// searched through the geohash box of the query and its eight neighbours, with
// haversine distances — Redis's geohash.c and geo.c arithmetic, so scores, positions,
// distances and result order are the same.

const (
	geoLongMin  = -180.0
	geoLongMax  = 180.0
	geoLatMin   = -85.05112878
	geoLatMax   = 85.05112878
	geoStepMax  = 26
	earthRadius = 6372797.560856 // meters
	mercatorMax = 20037726.37
	degToRad    = math.Pi / 180.0
)

type geoHash struct {
	bits uint64
	step uint
}

func (h geoHash) zero() bool { return h.bits == 0 && h.step == 0 }

// interleave64 puts x's bits in the even positions and y's in the odd ones.
func interleave64(x, y uint32) uint64 {
	spread := func(v uint64) uint64 {
		v = (v | v<<16) & 0x0000FFFF0000FFFF
		v = (v | v<<8) & 0x00FF00FF00FF00FF
		v = (v | v<<4) & 0x0F0F0F0F0F0F0F0F
		v = (v | v<<2) & 0x3333333333333333
		v = (v | v<<1) & 0x5555555555555555
		return v
	}
	return spread(uint64(x)) | spread(uint64(y))<<1
}

// deinterleave64 undoes interleave64: x in the low 32 bits, y in the high ones.
func deinterleave64(v uint64) uint64 {
	squash := func(v uint64) uint64 {
		v &= 0x5555555555555555
		v = (v | v>>1) & 0x3333333333333333
		v = (v | v>>2) & 0x0F0F0F0F0F0F0F0F
		v = (v | v>>4) & 0x00FF00FF00FF00FF
		v = (v | v>>8) & 0x0000FFFF0000FFFF
		v = (v | v>>16) & 0x00000000FFFFFFFF
		return v
	}
	return squash(v) | squash(v>>1)<<32
}

type geoRange struct{ min, max float64 }

var (
	geoLongRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange  = geoRange{geoLatMin, geoLatMax}
)

func geoEncode(lon, lat geoRange, longitude, latitude float64, step uint) (geoHash, bool) {
	if longitude > 180 || longitude < -180 || latitude > geoLatMax || latitude < geoLatMin ||
		latitude < lat.min || latitude > lat.max || longitude < lon.min || longitude > lon.max {
		return geoHash{}, false
	}
	latOff := (latitude - lat.min) / (lat.max - lat.min) * float64(uint64(1)<<step)
	lonOff := (longitude - lon.min) / (lon.max - lon.min) * float64(uint64(1)<<step)
	return geoHash{interleave64(uint32(latOff), uint32(lonOff)), step}, true
}

type geoArea struct{ lon, lat geoRange }

func geoDecode(lon, lat geoRange, h geoHash) geoArea {
	sep := deinterleave64(h.bits)
	ilat, ilon := uint32(sep), uint32(sep>>32)
	scale := float64(uint64(1) << h.step)
	return geoArea{
		lat: geoRange{lat.min + float64(ilat)/scale*(lat.max-lat.min), lat.min + float64(uint64(ilat)+1)/scale*(lat.max-lat.min)},
		lon: geoRange{lon.min + float64(ilon)/scale*(lon.max-lon.min), lon.min + float64(uint64(ilon)+1)/scale*(lon.max-lon.min)},
	}
}

// geoDecodeScore returns the position a zset score stands for (the centre of its box).
func geoDecodeScore(score float64) (lon, lat float64) {
	a := geoDecode(geoLongRange, geoLatRange, geoHash{uint64(score), geoStepMax})
	lon = min(max((a.lon.min+a.lon.max)/2, geoLongMin), geoLongMax)
	lat = min(max((a.lat.min+a.lat.max)/2, geoLatMin), geoLatMax)
	return lon, lat
}

// geoScore is the zset score of a position.
func geoScore(lon, lat float64) float64 {
	h, _ := geoEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
	return float64(h.bits << (52 - geoStepMax*2))
}

func geoLatDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(lat2*degToRad-lat1*degToRad)
}

// geoDistance is the haversine distance in meters.
func geoDistance(lon1, lat1, lon2, lat2 float64) float64 {
	lon1r, lon2r := lon1*degToRad, lon2*degToRad
	v := math.Sin((lon2r - lon1r) / 2)
	if v == 0 {
		return geoLatDistance(lat1, lat2)
	}
	lat1r, lat2r := lat1*degToRad, lat2*degToRad
	u := math.Sin((lat2r - lat1r) / 2)
	a := u*u + math.Cos(lat1r)*math.Cos(lat2r)*v*v
	return 2.0 * earthRadius * math.Asin(math.Sqrt(a))
}

// geoMoveX and geoMoveY step a geohash box one box east/west (longitude: the odd
// bits) or north/south (latitude: the even bits), wrapping as Redis's geohash_move_x/y.
func geoMoveX(h *geoHash, d int) { geoMove(h, d, 0xaaaaaaaaaaaaaaaa) }
func geoMoveY(h *geoHash, d int) { geoMove(h, d, 0x5555555555555555) }

func geoMove(h *geoHash, d int, mask uint64) {
	moving := h.bits & mask
	kept := h.bits &^ mask
	zz := ^mask >> (64 - h.step*2) // the other coordinate's bits: carries skip them
	if d > 0 {
		moving += zz + 1
	} else {
		moving |= zz
		moving -= zz + 1
	}
	moving &= mask >> (64 - h.step*2)
	h.bits = moving | kept
}

// geoShape is a search: a circle (radius) or a box (width, height), in meters once
// multiplied by conv, around (lon, lat).
type geoShape struct {
	lon, lat              float64
	box                   bool
	radius, width, height float64
	conv                  float64
}

func (s *geoShape) bounds() (minLon, minLat, maxLon, maxLat float64) {
	h, w := s.radius, s.radius
	if s.box {
		h, w = s.height/2, s.width/2
	}
	h, w = h*s.conv, w*s.conv
	latDelta := h / earthRadius / degToRad
	top := w / earthRadius / math.Cos((s.lat+latDelta)*degToRad) / degToRad
	bottom := w / earthRadius / math.Cos((s.lat-latDelta)*degToRad) / degToRad
	if s.lat < 0 {
		return s.lon - bottom, s.lat - latDelta, s.lon + bottom, s.lat + latDelta
	}
	return s.lon - top, s.lat - latDelta, s.lon + top, s.lat + latDelta
}

func geoStepsByRadius(r, lat float64) uint {
	if r == 0 {
		return 26
	}
	step := 1
	for r < mercatorMax {
		r *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), 26))
}

// geoAreas returns the nine boxes to scan for s: its own, N, S, E, W, NE, NW, SE, SW
// (useless ones zeroed), as geohashCalculateAreasByShapeWGS84.
func geoAreas(s *geoShape) [9]geoHash {
	minLon, minLat, maxLon, maxLat := s.bounds()
	r := s.radius
	if s.box {
		r = math.Sqrt((s.width/2)*(s.width/2) + (s.height/2)*(s.height/2))
	}
	steps := geoStepsByRadius(r*s.conv, s.lat)
	var hash geoHash
	var nb [8]geoHash // N, S, E, W, NE, NW, SE, SW
	var area geoArea
	compute := func() {
		hash, _ = geoEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
		for i := range nb {
			nb[i] = hash
		}
		moves := [8][2]int{{0, 1}, {0, -1}, {1, 0}, {-1, 0}, {1, 1}, {-1, 1}, {1, -1}, {-1, -1}}
		for i, m := range moves {
			if m[0] != 0 {
				geoMoveX(&nb[i], m[0])
			}
			if m[1] != 0 {
				geoMoveY(&nb[i], m[1])
			}
		}
		area = geoDecode(geoLongRange, geoLatRange, hash)
	}
	compute()
	north := geoDecode(geoLongRange, geoLatRange, nb[0])
	south := geoDecode(geoLongRange, geoLatRange, nb[1])
	east := geoDecode(geoLongRange, geoLatRange, nb[2])
	west := geoDecode(geoLongRange, geoLatRange, nb[3])
	if steps > 1 && (north.lat.max < maxLat || south.lat.min > minLat || east.lon.max < maxLon || west.lon.min > minLon) {
		steps--
		compute()
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			nb[1], nb[7], nb[6] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lat.max > maxLat {
			nb[0], nb[4], nb[5] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lon.min < minLon {
			nb[3], nb[7], nb[5] = geoHash{}, geoHash{}, geoHash{}
		}
		if area.lon.max > maxLon {
			nb[2], nb[6], nb[4] = geoHash{}, geoHash{}, geoHash{}
		}
	}
	return [9]geoHash{hash, nb[0], nb[1], nb[2], nb[3], nb[4], nb[5], nb[6], nb[7]}
}

// geoPoint is a search result.
type geoPoint struct {
	member   []byte
	dist     float64
	score    float64
	lon, lat float64
}

// within reports whether a point is in the shape, and its distance from the centre.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= s.radius*s.conv
	}
	if geoLatDistance(lat, s.lat) > s.height*s.conv/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > s.width*s.conv/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}

// geoSearch collects the members of z in the shape, box by box (at most limit when
// limit > 0).
func geoSearch(z *storage.ZSet, s *geoShape, limit int) []geoPoint {
	var out []geoPoint
	areas := geoAreas(s)
	last := -1
	for i, h := range areas {
		if h.zero() {
			continue
		}
		// Redis compares with the last box processed, but never with the first one.
		if last > 0 && h == areas[last] {
			continue
		}
		if limit > 0 && len(out) >= limit {
			break
		}
		shift := 52 - h.step*2
		r := storage.ScoreRange{Min: float64(h.bits << shift), Max: float64((h.bits + 1) << shift), MaxEx: true}
		lo, hi := z.ScoreSpan(&r)
		z.Range(lo, hi-1, false, func(member []byte, score float64) bool {
			if limit > 0 && len(out) >= limit {
				return false
			}
			lon, lat := geoDecodeScore(score)
			if d, ok := s.within(lon, lat); ok {
				out = append(out, geoPoint{member: append([]byte(nil), member...), dist: d, score: score, lon: lon, lat: lat})
			}
			return true
		})
		last = i
	}
	return out
}

// replyCoord writes a coordinate as Redis's addReplyHumanLongDouble does: "%.17Lf"
// without trailing zeros, a bulk string in RESP2 and a double in RESP3.
func (c *Client) replyCoord(f float64) {
	s := appendLongDoubleHuman(nil, longDouble{new(big.Float).SetPrec(ldPrec).SetFloat64(f)})
	if c.w.RESP3() {
		c.w.B = append(c.w.B, ',')
		c.w.B = append(c.w.B, s...)
		c.w.B = append(c.w.B, '\r', '\n')
		return
	}
	c.w.Bulk(s)
}

// replyDistance writes a distance with four decimals.
func (c *Client) replyDistance(d float64) {
	c.w.Bulk(strconv.AppendFloat(nil, d, 'f', 4, 64))
}

// lonLatArgs parses a longitude and latitude at args[i], args[i+1].
func (c *Client) lonLatArgs(i int) (lon, lat float64, ok bool) {
	if lon, ok = c.floatArg(i); !ok {
		return
	}
	if lat, ok = c.floatArg(i + 1); !ok {
		return
	}
	if lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		c.Err("ERR invalid longitude,latitude pair " + strconv.FormatFloat(lon, 'f', 6, 64) + "," + strconv.FormatFloat(lat, 'f', 6, 64))
		return 0, 0, false
	}
	return lon, lat, true
}

// unitArg parses a distance unit into meters per unit.
func (c *Client) unitArg(i int) (float64, bool) {
	switch {
	case c.is(i, "M"):
		return 1, true
	case c.is(i, "KM"):
		return 1000, true
	case c.is(i, "FT"):
		return 0.3048, true
	case c.is(i, "MI"):
		return 1609.34, true
	}
	c.Err("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

// numberArg parses a float, answering "ERR <msg>" when it is not one.
func (c *Client) numberArg(i int, msg string) (float64, bool) {
	f, ok := storage.ParseFloat(c.args[i])
	if !ok {
		c.Err("ERR " + msg)
	}
	return f, ok
}

func geoDefs() []def {
	return []def{
		{name: "geoadd", fn: cmdGeoadd},
		{name: "geodist", fn: cmdGeodist},
		{name: "geohash", fn: cmdGeohash},
		{name: "geopos", fn: cmdGeopos},
		{name: "geosearch", fn: cmdGeosearch},
		{name: "geosearchstore", fn: cmdGeosearchstore},
		{name: "georadius", fn: cmdGeoradius},
		{name: "georadius_ro", fn: cmdGeoradiusRO},
		{name: "georadiusbymember", fn: cmdGeoradiusbymember},
		{name: "georadiusbymember_ro", fn: cmdGeoradiusbymemberRO},
	}
}

// GEOADD key [NX|XX] [CH] longitude latitude member [… …] runs as the ZADD it stands
// for, as in Redis.
func cmdGeoadd(c *Client) {
	i := 2
	nx, xx := false, false
	for ; i < len(c.args); i++ {
		switch {
		case c.is(i, "NX"):
			nx = true
		case c.is(i, "XX"):
			xx = true
		case c.is(i, "CH"):
		default:
			goto parsed
		}
	}
parsed:
	if (len(c.args)-i)%3 != 0 || nx && xx {
		c.Err(errSyntax)
		return
	}
	zargs := append([][]byte{[]byte("zadd")}, c.args[1:i]...)
	for j := i; j < len(c.args); j += 3 {
		lon, lat, ok := c.lonLatArgs(j)
		if !ok {
			return
		}
		zargs = append(zargs, strconv.AppendInt(nil, int64(geoScore(lon, lat)), 10), c.args[j+2])
	}
	c.args = zargs
	cmdZadd(c)
}

// geoMemberPos returns a member's position; ok false when z or the member is missing.
func geoMemberPos(z *storage.ZSet, member []byte) (lon, lat float64, ok bool) {
	if z == nil {
		return 0, 0, false
	}
	score, found := z.Score(member)
	if !found {
		return 0, 0, false
	}
	lon, lat = geoDecodeScore(score)
	return lon, lat, true
}

// GEODIST key member1 member2 [M|KM|FT|MI]
func cmdGeodist(c *Client) {
	conv := 1.0
	if len(c.args) == 5 {
		var ok bool
		if conv, ok = c.unitArg(4); !ok {
			return
		}
	} else if len(c.args) > 5 {
		c.Err(errSyntax)
		return
	}
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	lon1, lat1, ok1 := geoMemberPos(z, c.args[2])
	lon2, lat2, ok2 := geoMemberPos(z, c.args[3])
	if !ok1 || !ok2 {
		c.w.Null()
		return
	}
	c.replyDistance(geoDistance(lon1, lat1, lon2, lat2) / conv)
}

// GEOHASH key [member …]
func cmdGeohash(c *Client) {
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		lon, lat, ok := geoMemberPos(z, m)
		if !ok {
			c.w.Null()
			continue
		}
		h, _ := geoEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, geoStepMax)
		var buf [11]byte
		for i := range 11 {
			idx := 0
			if i < 10 {
				idx = int(h.bits >> (52 - (i+1)*5) & 0x1f)
			}
			buf[i] = alphabet[idx]
		}
		c.w.Bulk(buf[:])
	}
}

// GEOPOS key [member …]
func cmdGeopos(c *Client) {
	z, ok := lookupColl[*storage.ZSet](c, c.args[1])
	if !ok {
		return
	}
	c.w.Array(len(c.args) - 2)
	for _, m := range c.args[2:] {
		lon, lat, ok := geoMemberPos(z, m)
		if !ok {
			c.w.NullArray()
			continue
		}
		c.w.Array(2)
		c.replyCoord(lon)
		c.replyCoord(lat)
	}
}

// Geo search variants.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: longitude latitude radius unit
	geoRadiusMember             // GEORADIUSBYMEMBER: member radius unit
	geoSearchCmd                // GEOSEARCH(STORE): FROM…/BY… options
	geoSearchStore              // GEOSEARCHSTORE
	geoNoStore                  // the _RO variants
)

func cmdGeoradius(c *Client)           { geoGeneric(c, 1, geoRadiusCoords) }
func cmdGeoradiusRO(c *Client)         { geoGeneric(c, 1, geoRadiusCoords|geoNoStore) }
func cmdGeoradiusbymember(c *Client)   { geoGeneric(c, 1, geoRadiusMember) }
func cmdGeoradiusbymemberRO(c *Client) { geoGeneric(c, 1, geoRadiusMember|geoNoStore) }
func cmdGeosearch(c *Client)           { geoGeneric(c, 1, geoSearchCmd) }
func cmdGeosearchstore(c *Client)      { geoGeneric(c, 2, geoSearchCmd|geoSearchStore) }

// geoGeneric is georadiusGeneric: parsing, search, and the reply or the stored set.
func geoGeneric(c *Client, srcIdx int, flags int) {
	z, ok := sourceColl[*storage.ZSet](c, c.args[srcIdx])
	if !ok {
		return
	}
	var storeKey []byte
	storeDist := false
	if flags&geoSearchStore != 0 {
		storeKey = c.args[1]
	}
	s := geoShape{conv: 1}
	base := 0
	switch {
	case flags&geoRadiusCoords != 0:
		base = 6
		if s.lon, s.lat, ok = c.lonLatArgs(2); !ok {
			return
		}
		if !c.geoDistanceArgs(base-2, &s) {
			return
		}
	case flags&geoRadiusMember != 0 && z == nil:
		base = 5
	case flags&geoRadiusMember != 0:
		base = 5
		if s.lon, s.lat, ok = geoMemberPos(z, c.args[2]); !ok {
			c.Err("ERR could not decode requested zset member")
			return
		}
		if !c.geoDistanceArgs(base-2, &s) {
			return
		}
	default:
		base = srcIdx + 1
	}
	withDist, withHash, withCoord, any := false, false, false, false
	fromMember, fromLoc, byRadius, byBox := false, false, false, false
	sortDir := 0 // 0 none, 1 asc, -1 desc
	count := int64(0)
	for i := base; i < len(c.args); i++ {
		more := len(c.args) - 1 - i
		search := flags&geoSearchCmd != 0
		canStore := flags&geoNoStore == 0 && !search
		switch {
		case c.is(i, "WITHDIST"):
			withDist = true
		case c.is(i, "WITHHASH"):
			withHash = true
		case c.is(i, "WITHCOORD"):
			withCoord = true
		case c.is(i, "ANY"):
			any = true
		case c.is(i, "ASC"):
			sortDir = 1
		case c.is(i, "DESC"):
			sortDir = -1
		case c.is(i, "COUNT") && more > 0:
			n, ok := c.intArg(i + 1)
			if !ok {
				return
			}
			if n <= 0 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case c.is(i, "STORE") && more > 0 && canStore:
			storeKey, storeDist = c.args[i+1], false
			i++
		case c.is(i, "STOREDIST") && more > 0 && canStore:
			storeKey, storeDist = c.args[i+1], true
			i++
		case c.is(i, "STOREDIST") && flags&geoSearchStore != 0:
			storeDist = true
		case c.is(i, "FROMMEMBER") && more > 0 && search && !fromLoc:
			fromMember = true
			i++
			if z == nil {
				continue
			}
			if s.lon, s.lat, ok = geoMemberPos(z, c.args[i]); !ok {
				c.Err("ERR could not decode requested zset member")
				return
			}
		case c.is(i, "FROMLONLAT") && more > 1 && search && !fromMember:
			if s.lon, s.lat, ok = c.lonLatArgs(i + 1); !ok {
				return
			}
			fromLoc = true
			i += 2
		case c.is(i, "BYRADIUS") && more > 1 && search && !byBox:
			if !c.geoDistanceArgs(i+1, &s) {
				return
			}
			byRadius = true
			i += 2
		case c.is(i, "BYBOX") && more > 2 && search && !byRadius:
			w, ok := c.numberArg(i+1, "need numeric width")
			if !ok {
				return
			}
			h, ok := c.numberArg(i+2, "need numeric height")
			if !ok {
				return
			}
			if h < 0 || w < 0 {
				c.Err("ERR height or width cannot be negative")
				return
			}
			if s.conv, ok = c.unitArg(i + 3); !ok {
				return
			}
			s.box, s.width, s.height = true, w, h
			byBox = true
			i += 3
		default:
			c.Err(errSyntax)
			return
		}
	}
	name := string(c.args[0])
	switch {
	case storeKey != nil && (withDist || withHash || withCoord):
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.Err("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	case flags&geoSearchCmd != 0 && !fromMember && !fromLoc:
		c.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name)
		return
	case flags&geoSearchCmd != 0 && !byRadius && !byBox:
		c.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name)
		return
	case any && count == 0:
		c.Err("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			c.clearDest(storeKey)
			c.w.Int(0)
		} else {
			c.w.Array(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	limit := 0
	if any {
		limit = int(count)
	}
	pts := geoSearch(z, &s, limit)
	if len(pts) == 0 && storeKey == nil {
		c.w.Array(0)
		return
	}
	switch sortDir {
	case 1:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmpFloat(a.dist, b.dist) })
	case -1:
		slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmpFloat(b.dist, a.dist) })
	}
	if count != 0 && int64(len(pts)) > count {
		pts = pts[:count]
	}
	for i := range pts {
		pts[i].dist /= s.conv
	}
	if storeKey != nil {
		c.geoStore(storeKey, pts, storeDist, flags&geoSearchCmd != 0)
		return
	}
	opts := b2i(withDist) + b2i(withHash) + b2i(withCoord)
	c.w.Array(len(pts))
	for _, p := range pts {
		if opts > 0 {
			c.w.Array(opts + 1)
		}
		c.w.Bulk(p.member)
		if withDist {
			c.replyDistance(p.dist)
		}
		if withHash {
			c.w.Int(int64(p.score))
		}
		if withCoord {
			c.w.Array(2)
			c.replyCoord(p.lon)
			c.replyCoord(p.lat)
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// geoDistanceArgs parses "radius unit" at args[i].
func (c *Client) geoDistanceArgs(i int, s *geoShape) bool {
	r, ok := c.numberArg(i, "need numeric radius")
	if !ok {
		return false
	}
	if r < 0 {
		c.Err("ERR radius cannot be negative")
		return false
	}
	if s.conv, ok = c.unitArg(i + 1); !ok {
		return false
	}
	s.radius = r
	return true
}

// geoStore stores search results as a sorted set scored by geohash or distance.
func (c *Client) geoStore(key []byte, pts []geoPoint, byDist, search bool) {
	if len(pts) == 0 {
		c.clearDest(key)
		c.w.Int(0)
		return
	}
	entries := make([]storage.ZEntry, len(pts))
	for i, p := range pts {
		score := p.score
		if byDist {
			score = p.dist
		}
		entries[i] = storage.ZEntry{Member: string(p.member), Score: score}
	}
	c.db.SetValue(c.slot(key), key, storage.NewZSetFrom(entries, c.s.eng.Limits()), 0, false)
	c.changed(key)
	event := "georadiusstore"
	if search {
		event = "geosearchstore"
	}
	c.notify(evZset, event, key)
	c.addDirty(len(pts))
	c.w.Int(int64(len(pts)))
}
