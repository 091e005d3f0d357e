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
// per TTL:
//
//   - Concurrent requests for a missing key wait for one query rather
//     than each running it.
//   - A result older than the TTL is still answered while a query in the
//     background refreshes it (stale-while-revalidate), so only the first
//     request for a key ever waits for the database.
//   - clear, called after an ingest through the API, drops everything at
//     once; the TTL bounds what another process's ingest leaves stale.
//   - put fills entries from a query that answers many keys at once (the
//     warm-up).
//
// Entries are immutable once loaded, and results are shared: callers
// must not modify them. It is safe for concurrent use.
type statsCache struct {
	ttl time.Duration // <0: no caching
	max int           // entries kept, least recently used dropped first
	now func() time.Time

	mu      sync.Mutex
	gen     uint64 // bumped by clear; a load from an older generation is not kept
	entries map[statsKey]*statsEntry
	lru     *list.List // of *statsEntry, most recent at the front

	bg sync.WaitGroup // loads running in the background
}

type statsEntry struct {
	key        statsKey
	done       chan struct{} // closed when val and err are set; they never change after
	val        []event.Period
	err        error
	at         time.Time     // when the load finished
	elem       *list.Element // in lru once loaded without error; nil otherwise
	refreshing bool          // a background load will replace it
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
	switch {
	case ok && e.elem != nil:
		c.lru.MoveToFront(e.elem)
		if !e.refreshing && c.now().Sub(e.at) >= c.ttl {
			e.refreshing = true
			c.start(ctx, k, c.gen, load)
		}
		c.mu.Unlock()
		return e.val, nil
	case !ok:
		e = c.start(ctx, k, c.gen, load)
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.val, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start loads k in the background. c.mu is held. A new key's entry goes
// in the map at once, for others to wait on; a refresh replaces the
// stale entry only when it succeeds.
func (c *statsCache) start(ctx context.Context, k statsKey, gen uint64, load func(context.Context) ([]event.Period, error)) *statsEntry {
	e := &statsEntry{key: k, done: make(chan struct{})}
	old := c.entries[k]
	if old == nil {
		c.entries[k] = e
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statsLoadTimeout)
		defer cancel()
		val, err := load(lctx)
		c.mu.Lock()
		e.val, e.err, e.at = val, err, c.now()
		cur := c.entries[k]
		switch {
		case gen != c.gen || (cur != e && cur != old):
			// cleared, or replaced, meanwhile
		case err != nil && old != nil:
			old.refreshing = false // keep answering the stale result; try again later
		case err != nil:
			delete(c.entries, k)
		default:
			c.insert(e)
		}
		c.mu.Unlock()
		close(e.done)
	}()
	return e
}

// insert makes e the entry of its key, dropping the one it replaces and
// the least recently used beyond max. c.mu is held.
func (c *statsCache) insert(e *statsEntry) {
	if old := c.entries[e.key]; old != nil && old != e && old.elem != nil {
		c.lru.Remove(old.elem)
		old.elem = nil
	}
	c.entries[e.key] = e
	e.elem = c.lru.PushFront(e)
	for c.lru.Len() > c.max {
		last := c.lru.Back().Value.(*statsEntry)
		c.lru.Remove(last.elem)
		last.elem = nil
		if c.entries[last.key] == last {
			delete(c.entries, last.key)
		}
	}
}

// generation returns the current generation, for put.
func (c *statsCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put stores results loaded in generation gen; it does nothing if the
// cache was cleared since.
func (c *statsCache) put(gen uint64, results map[statsKey][]event.Period) {
	if c.ttl < 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	now := c.now()
	for k, v := range results {
		e := &statsEntry{key: k, done: make(chan struct{}), val: v, at: now}
		close(e.done)
		c.insert(e)
	}
}

// clear drops every result, and keeps loads under way from being cached:
// the data has changed.
func (c *statsCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, e := range c.entries {
		e.elem = nil
	}
	c.entries = map[statsKey]*statsEntry{}
	c.lru.Init()
}

// wait waits for the loads running in the background.
func (c *statsCache) wait() { c.bg.Wait() }
