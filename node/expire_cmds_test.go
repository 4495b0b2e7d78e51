package node

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestExpire(t *testing.T) {
	const at = "4102444800" // 2100-01-01
	transcript(t,
		S("EXPIRE", "nokey", "100").Is(0),
		S("TTL", "nokey").Is(-2),
		S("PTTL", "nokey").Is(-2),
		S("EXPIRETIME", "nokey").Is(-2),
		S("PEXPIRETIME", "nokey").Is(-2),
		S("PERSIST", "nokey").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("TTL", "a").Is(-1),
		S("PTTL", "a").Is(-1),
		S("EXPIRETIME", "a").Is(-1),
		S("PEXPIRETIME", "a").Is(-1),
		S("PERSIST", "a").Is(0),
		S("EXPIRE", "a", "100").Is(1),
		S("TTL", "a").Is(100),
		S("PTTL", "a").Is(Any),
		S("PEXPIRE", "a", "200000").Is(1),
		S("TTL", "a").Is(200),
		S("EXPIREAT", "a", at).Is(1),
		S("EXPIRETIME", "a").Is(4102444800),
		S("PEXPIRETIME", "a").Is(4102444800000),
		S("PEXPIREAT", "a", "4102444800499").Is(1),
		S("EXPIRETIME", "a").Is(4102444800),
		S("PEXPIREAT", "a", "4102444800500").Is(1),
		S("EXPIRETIME", "a").Is(4102444801),
		S("PEXPIRETIME", "a").Is(4102444800500),
		S("PERSIST", "a").Is(1),
		S("TTL", "a").Is(-1),
		S("PERSIST", "a").Is(0),
		// A time in the past deletes the key.
		S("EXPIRE", "a", "-1").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("EXPIRE", "a", "0").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("PEXPIREAT", "a", "0").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("EXPIREAT", "a", "1").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("PEXPIREAT", "a", "-9223372036854775808").Is(1),
		S("EXISTS", "a").Is(0),
		S("SET", "a", "v").Is("OK"),
		S("PEXPIRE", "a", "-100").Is(1),
		S("EXISTS", "a").Is(0),
		// Overflow.
		S("SET", "a", "v").Is("OK"),
		S("EXPIRE", "a", "9223372036854776").Is(E("ERR invalid expire time in 'expire' command")),
		S("EXPIRE", "a", "-9223372036854776").Is(E("ERR invalid expire time in 'expire' command")),
		S("EXPIRE", "a", "9223372036854775").Is(E("ERR invalid expire time in 'expire' command")),
		S("PEXPIRE", "a", "9223372036854775807").Is(E("ERR invalid expire time in 'pexpire' command")),
		S("EXPIREAT", "a", "9223372036854775807").Is(E("ERR invalid expire time in 'expireat' command")),
		S("EXPIREAT", "a", "-9223372036854775808").Is(E("ERR invalid expire time in 'expireat' command")),
		S("PEXPIREAT", "a", "9223372036854775807").Is(1),
		S("PEXPIRETIME", "a").Is(9223372036854775807),
		S("PERSIST", "a").Is(1),
		S("EXPIRE", "a", "x").Is(E("ERR value is not an integer or out of range")),
		S("EXPIRE", "a", "1.5").Is(E("ERR value is not an integer or out of range")),
		S("EXPIRE", "a").Is(E("ERR wrong number of arguments for 'expire' command")),
		S("TTL").Is(E("ERR wrong number of arguments for 'ttl' command")),
		S("PERSIST", "a", "b").Is(E("ERR wrong number of arguments for 'persist' command")),
		S("EXPIRETIME", "a", "b").Is(E("ERR wrong number of arguments for 'expiretime' command")),
	)
}

func TestExpireConditions(t *testing.T) {
	transcript(t,
		S("SET", "a", "v").Is("OK"),
		// Option errors come before the time is parsed.
		S("EXPIRE", "a", "10", "foo").Is(E("ERR Unsupported option foo")),
		S("EXPIRE", "a", "x", "foo").Is(E("ERR Unsupported option foo")),
		S("EXPIRE", "a", "10", "NX", "XX").Is(E("ERR NX and XX, GT or LT options at the same time are not compatible")),
		S("EXPIRE", "a", "10", "nx", "gt").Is(E("ERR NX and XX, GT or LT options at the same time are not compatible")),
		S("PEXPIRE", "a", "10", "LT", "NX").Is(E("ERR NX and XX, GT or LT options at the same time are not compatible")),
		S("EXPIRE", "a", "10", "GT", "LT").Is(E("ERR GT and LT options at the same time are not compatible")),
		S("EXPIRE", "a", "10", "XX", "GT", "LT").Is(E("ERR GT and LT options at the same time are not compatible")),
		S("EXPIRE", "a", "x", "NX").Is(E("ERR value is not an integer or out of range")),
		S("EXPIRE", "nokey", "10", "NX").Is(0),
		// No expire: XX and GT fail, NX and LT succeed.
		S("EXPIRE", "a", "100", "XX").Is(0),
		S("EXPIRE", "a", "100", "GT").Is(0),
		S("EXPIRE", "a", "100", "XX", "GT").Is(0),
		S("TTL", "a").Is(-1),
		S("EXPIRE", "a", "100", "LT").Is(1),
		S("TTL", "a").Is(100),
		S("PERSIST", "a").Is(1),
		S("EXPIRE", "a", "100", "NX").Is(1),
		S("TTL", "a").Is(100),
		// With an expire: NX fails; XX succeeds; GT/LT compare.
		S("EXPIRE", "a", "50", "NX").Is(0),
		S("EXPIRE", "a", "200", "nx", "NX").Is(0),
		S("EXPIRE", "a", "200", "XX").Is(1),
		S("TTL", "a").Is(200),
		S("EXPIRE", "a", "100", "GT").Is(0),
		S("EXPIRE", "a", "300", "GT").Is(1),
		S("TTL", "a").Is(300),
		S("EXPIRE", "a", "400", "LT").Is(0),
		S("EXPIRE", "a", "250", "xx", "lt").Is(1),
		S("TTL", "a").Is(250),
		S("PEXPIREAT", "a", "4102444800000").Is(1),
		S("PEXPIREAT", "a", "4102444800000", "GT").Is(0),
		S("PEXPIREAT", "a", "4102444800000", "LT").Is(0),
		S("EXPIREAT", "a", "4102444801", "GT").Is(1),
		S("PEXPIRETIME", "a").Is(4102444801000),
		S("EXPIREAT", "a", "4102444800", "LT").Is(1),
		S("PEXPIRETIME", "a").Is(4102444800000),
		// LT with a time in the past deletes.
		S("EXPIRE", "a", "-1", "LT").Is(1),
		S("EXISTS", "a").Is(0),
	)
}

// A key with a short expire disappears without being accessed (the active cycle).
func TestActiveExpiry(t *testing.T) {
	eachServer(t, nil, func(t *testing.T, c *redis.Client) {
		setKeys(t, c, "short", "long")
		keysDo(t, c, "PEXPIRE", "short", "30")
		keysDo(t, c, "EXPIRE", "long", "1000")
		waitFor(t, 10*time.Second, "the expired key to be removed", func() bool {
			return keysDo(t, c, "DBSIZE").(int64) == 1
		})
		if got := keysDo(t, c, "EXISTS", "long"); got != int64(1) {
			t.Fatalf("EXISTS long = %v", got)
		}
	})
}

// Expired keys not yet removed are invisible to every reader. The real Redis has its
// active cycle turned off, so the keys are still in its dict; shoal's cycle may or may
// not have removed them: the replies must be the same either way.
func TestExpiredKeysHidden(t *testing.T) {
	eachServer(t, []string{"enable-debug-command", "yes"}, func(t *testing.T, c *redis.Client) {
		keysDo(t, c, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		keys := []string{"k1", "k2", "k3", "k4", "k5", "k6", "sentinel"}
		setKeys(t, c, keys...)
		for _, k := range keys {
			keysDo(t, c, "PEXPIRE", k, "20")
		}
		// The sentinel's expire was set last: once it is gone, so are the others'.
		waitFor(t, 10*time.Second, "the keys to expire", func() bool {
			return keysDo(t, c, "PTTL", "sentinel").(int64) == -2
		})
		wantKeys(t, c, nil, "KEYS", "*")
		wantKeys(t, c, nil, "KEYS", "k*")
		if seen := scanAll(t, c); len(seen) != 0 {
			t.Errorf("SCAN returned expired keys %v", seen)
		}
		if seen := scanAll(t, c, "MATCH", "{k1}"); len(seen) != 0 {
			t.Errorf("SCAN MATCH returned expired keys %v", seen)
		}
		runTranscript(t, c, []step{
			S("EXISTS", "k1").Is(0),
			S("TYPE", "k2").Is("none"),
			S("GET", "k3").Is(nil),
			S("TTL", "k4").Is(-2),
			S("OBJECT", "ENCODING", "k5").Is(nil),
			S("COPY", "k6", "x").Is(0),
			S("RANDOMKEY").Is(nil),
			S("DEBUG", "SET-ACTIVE-EXPIRE", "1").Is("OK"),
		})
	})
}
