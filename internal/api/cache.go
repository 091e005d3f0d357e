package api

import (
	"container/list"
	"context"
	"sync"
	"time"

	"threshold/internal/event"
	"threshold/internal/store"
)

// statsKey identifies a statistics query.
type statsKey struct {
	by store.Grouping
	f  event.Filter
}

// statsCache keeps recent statistics results, so that the dashboards and
// scripts that ask for the same country again and again cost one query
// per TTL. Concurrent requests for a missing key wait for one query
// rather than each running it. An ingest through the API clears it;
// the TTL bounds what another process's ingest leaves stale. Results are
// shared: callers must not modify them. It is safe for concurrent use.
type statsCache struct {
	ttl time.Duration // <0: no caching
	max int           // entries kept, least recently used dropped first
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by clear; a load from an older generation is not kept
	entries map[statsKey]*statsEntry
	lru     *list.List // of *statsEntry, most recent at the front
}

type statsEntry struct {
	key   statsKey
	gen   uint64
	at    time.Time     // when the load finished
	done  chan struct{} // closed when val and err are set
	val   []event.Period
	err   error
	elem  *list.Element
	valid bool // loaded without error and still in the map
}

// statsLoadTimeout bounds a query that callers share: it runs detached
// from the request that started it, so that one client going away does
// not fail the others waiting for it.
const statsLoadTimeout = time.Minute

func newStatsCache(ttl time.Duration, max int, now func() time.Time) *statsCache {
	return &statsCache{ttl: ttl, max: max, now: now, entries: map[statsKey]*statsEntry{}, lru: list.New()}
}

// get returns the cached result for k, or loads it.
func (c *statsCache) get(ctx context.Context, k statsKey, load func(context.Context) ([]event.Period, error)) ([]event.Period, error) {
	if c.ttl < 0 {
		return load(ctx)
	}
	c.mu.Lock()
	e, ok := c.entries[k]
	if ok && e.valid && c.now().Sub(e.at) >= c.ttl {
		c.remove(e)
		ok = false
	}
	if ok {
		if e.valid {
			c.lru.MoveToFront(e.elem)
		}
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.val, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e = &statsEntry{key: k, gen: c.gen, done: make(chan struct{})}
	c.entries[k] = e
	c.mu.Unlock()

	go func() {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statsLoadTimeout)
		defer cancel()
		val, err := load(lctx)
		c.mu.Lock()
		e.val, e.err, e.at = val, err, c.now()
		switch {
		case c.entries[k] != e:
			// cleared meanwhile
		case err != nil || e.gen != c.gen:
			delete(c.entries, k)
		default:
			e.valid = true
			e.elem = c.lru.PushFront(e)
			for c.lru.Len() > c.max {
				c.remove(c.lru.Back().Value.(*statsEntry))
			}
		}
		c.mu.Unlock()
		close(e.done)
	}()
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// remove drops e; c.mu is held.
func (c *statsCache) remove(e *statsEntry) {
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	if e.elem != nil {
		c.lru.Remove(e.elem)
		e.elem = nil
	}
	e.valid = false
}

// clear drops every result, and keeps loads under way from being cached:
// the data has changed.
func (c *statsCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.entries = map[statsKey]*statsEntry{}
	c.lru.Init()
}
