package node

import (
	"time"

	"github.com/shoal-db/shoal/storage"
)

// expireCycle is the active expiry cycle, Redis's activeExpireCycle adapted to the slot
// tables: every cron tick it walks the slots that hold keys with an expire, deleting the
// expired ones, for at most a quarter of the tick (more with active-expire-effort). It
// resumes where it stopped, so every volatile key is visited within a bounded number of
// ticks. Owned by the cron goroutine.
type expireCycle struct {
	db     int
	slot   int
	bucket uint64
	stats  struct{ examined, expired int64 }
}

func (x *expireCycle) run(e *storage.Engine, effort int, tick time.Duration) {
	effort = min(max(effort, 1), 10)
	budget := tick * time.Duration(25+2*(effort-1)) / 100
	deadline := time.Now().Add(budget)
	perSlot := 20 + 5*(effort-1)
	visitedDBs := 0
	var examinedNow, expiredNow int
	for visitedDBs <= e.NumDBs() {
		db := e.DB(x.db)
		if db.Volatile() == 0 {
			x.nextDB(e)
			visitedDBs++
			continue
		}
		s := db.NextVolatile(x.slot)
		if s < 0 {
			x.nextDB(e)
			visitedDBs++
			continue
		}
		if s != x.slot {
			x.slot, x.bucket = s, 0
		}
		e.LockSlot(s)
		examined, deleted, next := db.ExpireSlot(s, x.bucket, perSlot, nil)
		e.UnlockSlot(s)
		x.stats.examined += int64(examined)
		x.stats.expired += int64(deleted)
		examinedNow += examined
		expiredNow += deleted
		if next == 0 {
			x.slot++
			x.bucket = 0
		} else {
			x.bucket = next
		}
		// Like Redis, stop early when few of the keys looked at had expired: the rest
		// wait for a later tick (or are removed lazily on access).
		if time.Now().After(deadline) || examinedNow >= 1000*effort && expiredNow*10 < examinedNow {
			return
		}
	}
}

func (x *expireCycle) nextDB(e *storage.Engine) {
	x.db = (x.db + 1) % e.NumDBs()
	x.slot, x.bucket = 0, 0
}
