package node

import (
	"fmt"
	"testing"
)

func TestGeoTranscript(t *testing.T) {
	cities := []string{"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania",
		"12.496365", "41.902782", "Rome", "14.268124", "40.851799", "Naples", "9.189982", "45.464204", "Milan",
		"-0.127758", "51.507351", "London", "2.352222", "48.856613", "Paris", "139.691706", "35.689487", "Tokyo",
		"-73.935242", "40.730610", "NYC", "-179.9", "-85", "Edge1", "179.9", "85", "Edge2", "0", "0", "Null"}
	cmds := []rawCmd{
		xs(cities...),
		xs("GEOADD", "Sicily", "13.361389", "38.115556", "Palermo"),
		xs("GEOADD", "Sicily", "CH", "13.4", "38.1", "Palermo"),
		xs("GEOADD", "Sicily", "NX", "XX", "1", "1", "x"),
		xs("GEOADD", "Sicily", "1", "1"),
		xs("GEOADD", "Sicily", "181", "1", "x"),
		xs("GEOADD", "Sicily", "1", "86", "x"),
		xs("GEOADD", "Sicily", "x", "1", "y"),
		xs("ZRANGE", "Sicily", "0", "-1", "WITHSCORES"),
		xs("GEOPOS", "Sicily", "Palermo", "Catania", "nope", "Edge1", "Edge2", "Null"),
		xs("GEOPOS", "nokey", "a"),
		xs("GEOHASH", "Sicily", "Palermo", "Catania", "Tokyo", "NYC", "nope", "Edge1"),
		xs("GEODIST", "Sicily", "Palermo", "Catania"),
		xs("GEODIST", "Sicily", "Palermo", "Catania", "km"),
		xs("GEODIST", "Sicily", "Palermo", "Catania", "mi"),
		xs("GEODIST", "Sicily", "Palermo", "Catania", "ft"),
		xs("GEODIST", "Sicily", "Palermo", "nope"),
		xs("GEODIST", "Sicily", "Palermo", "Catania", "parsec"),
		xs("GEODIST", "Sicily", "London", "Tokyo", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "200", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "200", "km", "WITHDIST", "WITHCOORD", "WITHHASH"),
		xs("GEORADIUS", "Sicily", "15", "37", "2000", "km", "ASC"),
		xs("GEORADIUS", "Sicily", "15", "37", "2000", "km", "DESC", "COUNT", "3", "WITHDIST"),
		xs("GEORADIUS", "Sicily", "15", "37", "2000", "km", "COUNT", "2"),
		xs("GEORADIUS", "Sicily", "15", "37", "2000", "km", "COUNT", "2", "ANY"),
		xs("GEORADIUS", "Sicily", "15", "37", "20000", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "0", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "-1", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "x", "km"),
		xs("GEORADIUS", "Sicily", "15", "37", "1", "parsec"),
		xs("GEORADIUS", "Sicily", "15", "37", "1", "km", "ANY"),
		xs("GEORADIUS", "Sicily", "15", "37", "1", "km", "COUNT", "0"),
		xs("GEORADIUS", "Sicily", "15", "37", "1", "km", "BOGUS"),
		xs("GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "dst"),
		xs("ZRANGE", "dst", "0", "-1", "WITHSCORES"),
		xs("GEORADIUS", "Sicily", "15", "37", "500", "km", "STOREDIST", "dst2"),
		xs("ZRANGE", "dst2", "0", "-1", "WITHSCORES"),
		xs("GEORADIUS", "Sicily", "15", "37", "500", "km", "STORE", "dst", "WITHDIST"),
		xs("GEORADIUS", "Sicily", "0", "-80", "1", "km", "STORE", "dst"),
		xs("EXISTS", "dst"),
		xs("GEORADIUS_RO", "Sicily", "15", "37", "200", "km", "STORE", "x"),
		xs("GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "WITHDIST"),
		xs("GEORADIUSBYMEMBER", "Sicily", "nope", "300", "km"),
		xs("GEORADIUSBYMEMBER", "nokey", "nope", "300", "km"),
		xs("GEORADIUSBYMEMBER_RO", "Sicily", "Rome", "1000", "km", "ASC", "WITHCOORD"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC"),
		xs("GEOSEARCH", "Sicily", "FROMMEMBER", "Rome", "BYBOX", "1000", "800", "km", "WITHDIST"),
		xs("GEOSEARCH", "Sicily", "FROMMEMBER", "Paris", "BYBOX", "2000", "2000", "km", "DESC", "COUNT", "4"),
		xs("GEOSEARCH", "Sicily", "FROMMEMBER", "nope", "BYRADIUS", "1", "km"),
		xs("GEOSEARCH", "Sicily", "BYRADIUS", "1", "km"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "FROMMEMBER", "Rome", "BYRADIUS", "1", "km"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "BYBOX", "1", "1", "km"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYBOX", "-1", "1", "km"),
		xs("GEOSEARCH", "Sicily", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STORE", "x"),
		xs("GEOSEARCH", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "km"),
		xs("GEOSEARCHSTORE", "dst3", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"),
		xs("ZRANGE", "dst3", "0", "-1", "WITHSCORES"),
		xs("GEOSEARCHSTORE", "dst3", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "STOREDIST", "COUNT", "2"),
		xs("ZRANGE", "dst3", "0", "-1", "WITHSCORES"),
		xs("GEOSEARCHSTORE", "dst3", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km", "WITHDIST"),
		xs("GEOSEARCHSTORE", "dst3", "nokey", "FROMLONLAT", "15", "37", "BYRADIUS", "500", "km"),
		xs("EXISTS", "dst3"),
		xs("SET", "str", "x"),
		xs("GEOADD", "str", "1", "1", "a"),
		xs("GEOPOS", "str", "a"),
		xs("GEOSEARCH", "str", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km"),
	}
	for _, proto := range []int{2, 3} {
		rawCompare(t, proto, cmds...)
	}
}

// TestGeoSearchRandom compares unsorted GEOSEARCH results (the box walk order) with
// Redis on random points and radii, around the poles and the antimeridian too.
func TestGeoSearchRandom(t *testing.T) {
	var cmds []rawCmd
	add := []string{"GEOADD", "pts"}
	seed := uint64(1)
	next := func() float64 {
		seed = seed*6364136223846793005 + 1442695040888963407
		return float64(seed>>11) / float64(1<<53)
	}
	for i := range 400 {
		lon := next()*360 - 180
		lat := next()*170 - 85
		add = append(add, fmt.Sprintf("%.6f", lon), fmt.Sprintf("%.6f", lat), fmt.Sprint("p", i))
	}
	cmds = append(cmds, xs(add...))
	for range 60 {
		lon := fmt.Sprintf("%.4f", next()*360-180)
		lat := fmt.Sprintf("%.4f", next()*170-85)
		r := fmt.Sprintf("%.1f", next()*3000+1)
		cmds = append(cmds,
			xs("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYRADIUS", r, "km"),
			xs("GEOSEARCH", "pts", "FROMLONLAT", lon, lat, "BYBOX", r, r, "km", "WITHDIST"),
		)
	}
	rawCompare(t, 2, cmds...)
}
