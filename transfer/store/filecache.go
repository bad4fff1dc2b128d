package store

import (
	"container/list"
	"errors"
	"os"
	"sync"
)

// DefaultMaxOpenFiles is how many partial files a BoltStore keeps open at
// once unless told otherwise.
const DefaultMaxOpenFiles = 128

// fileCache keeps at most max partial files open, least recently used
// first out, so that the descriptors an upload can cost are bounded
// however many files it announces. A file closed while it holds unsynced
// writes is remembered as unsynced: the next sync that names it syncs the
// whole file system (syncfs) where there is one call for that, and
// otherwise the file is fdatasynced before it is closed. A sync error met
// while closing is kept and reported by the next sync of that part, so no
// failure is lost with the descriptor.
type fileCache struct {
	open    func(Part) (*os.File, error)
	syncAll func() error // syncfs of the partial data's file system
	max     int

	mu       sync.Mutex
	entries  map[Part]*cachedFile
	lru      list.List         // of *cachedFile, most recent at the front; idle and in use
	lost     map[Part]error    // sync errors of files closed since
	closing  map[Part]*closer  // files being synced and closed
	unsynced map[Part]struct{} // closed with writes not yet synced
}

type cachedFile struct {
	part  Part
	f     *os.File
	users int  // operations using f now
	dirty bool // written since the last sync
	gone  bool // evicted or removed: close once users is 0
	elem  *list.Element
	// closer is set once the file is to be closed.
	closer *closer
}

// closer is the close of an evicted file in progress; done is closed when
// it ended.
type closer struct {
	done chan struct{}
}

func newFileCache(max int, open func(Part) (*os.File, error), syncAll func() error) *fileCache {
	if max <= 0 {
		max = DefaultMaxOpenFiles
	}
	return &fileCache{
		open: open, syncAll: syncAll, max: max,
		entries: map[Part]*cachedFile{}, lost: map[Part]error{},
		closing: map[Part]*closer{}, unsynced: map[Part]struct{}{},
	}
}

// acquire returns part's open file for one operation; call release after.
func (c *fileCache) acquire(p Part) (*cachedFile, error) {
	c.mu.Lock()
	for {
		if e := c.entries[p]; e != nil {
			e.users++
			c.lru.MoveToFront(e.elem)
			c.mu.Unlock()
			return e, nil
		}
		cl := c.closing[p]
		if cl == nil {
			break
		}
		// Its eviction is syncing it: open it again only afterwards, so
		// that the sync's outcome is recorded before the next one runs.
		c.mu.Unlock()
		<-cl.done
		c.mu.Lock()
	}
	c.mu.Unlock()
	f, err := c.open(p)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if e := c.entries[p]; e != nil {
		// Opened meanwhile by another operation: use that one.
		e.users++
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		f.Close()
		return e, nil
	}
	e := &cachedFile{part: p, f: f, users: 1}
	e.elem = c.lru.PushFront(e)
	c.entries[p] = e
	victims := c.evictLocked()
	c.mu.Unlock()
	c.closeAll(victims, false)
	return e, nil
}

// release ends one operation on e.
func (c *fileCache) release(e *cachedFile) {
	c.mu.Lock()
	e.users--
	var victims []*cachedFile
	if e.gone && e.users == 0 {
		c.retireLocked(e)
		victims = append(victims, e)
	}
	victims = append(victims, c.evictLocked()...)
	c.mu.Unlock()
	c.closeAll(victims, false)
}

// evictLocked takes idle files out of the cache, oldest first, until at
// most max remain (files in use stay, so the cache can briefly hold more).
// The caller closes what it returns, outside c.mu.
func (c *fileCache) evictLocked() []*cachedFile {
	var victims []*cachedFile
	for el := c.lru.Back(); el != nil && c.lru.Len() > c.max; {
		e := el.Value.(*cachedFile)
		el = el.Prev()
		if e.users > 0 {
			continue
		}
		c.dropLocked(e)
		victims = append(victims, e)
	}
	return victims
}

// dropLocked takes e out of the cache. If no operation uses it, it is
// retired at once and the caller must pass it to closeAll.
func (c *fileCache) dropLocked(e *cachedFile) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.part)
	e.gone = true
	if e.users == 0 {
		c.retireLocked(e)
	}
}

// retireLocked registers the coming close of e, so that operations on its
// part wait for the close (and its sync's outcome) before they reopen it.
func (c *fileCache) retireLocked(e *cachedFile) {
	e.closer = &closer{done: make(chan struct{})}
	if c.closing[e.part] == nil {
		c.closing[e.part] = e.closer
	}
}

// closeAll closes retired files. Dirty ones are synced first, unless a
// later syncfs can do it (haveSyncfs and !syncNow); sync errors are kept.
func (c *fileCache) closeAll(victims []*cachedFile, syncNow bool) {
	for _, e := range victims {
		var err error
		deferred := e.dirty && haveSyncfs && !syncNow
		if e.dirty && !deferred {
			err = datasync(e.f)
		}
		if cerr := e.f.Close(); err == nil && e.dirty {
			err = cerr
		}
		c.mu.Lock()
		if err != nil {
			c.lost[e.part] = err
		} else if deferred {
			c.unsynced[e.part] = struct{}{}
		}
		if c.closing[e.part] == e.closer {
			delete(c.closing, e.part)
		}
		c.mu.Unlock()
		close(e.closer.done)
	}
}

// syncManyFiles is how many dirty files make sync use syncfs instead of
// one fdatasync each: many small files (an upload of a thousand 4 KiB
// files) would otherwise cost a journal commit each.
const syncManyFiles = 16

// sync makes the writes to every part durable and returns one error per
// part.
func (c *fileCache) sync(parts []Part) []error {
	errs := make([]error, len(parts))
	held := make([]*cachedFile, len(parts))
	var dirty []*cachedFile
	whole := false // a part closed unsynced: syncfs is due
	c.mu.Lock()
	for i, p := range parts {
		for c.closing[p] != nil {
			cl := c.closing[p]
			c.mu.Unlock()
			<-cl.done
			c.mu.Lock()
		}
		if err := c.lost[p]; err != nil {
			delete(c.lost, p)
			errs[i] = err
			continue
		}
		if _, ok := c.unsynced[p]; ok {
			whole = true
		}
		e := c.entries[p]
		if e == nil {
			continue
		}
		e.users++
		held[i] = e
		if e.dirty {
			e.dirty = false
			dirty = append(dirty, e)
		}
	}
	c.mu.Unlock()

	results := map[*cachedFile]error{}
	var wholeErr error
	if whole || len(dirty) > syncManyFiles {
		if wholeErr = c.syncAll(); !errors.Is(wholeErr, errors.ErrUnsupported) {
			for _, e := range dirty {
				results[e] = wholeErr
			}
			dirty = nil
			c.settleUnsynced(parts, errs, wholeErr)
		}
	}
	for _, e := range dirty {
		results[e] = datasync(e.f)
	}
	for i, e := range held {
		if e == nil {
			continue
		}
		if errs[i] == nil {
			errs[i] = results[e]
		}
		c.release(e)
	}
	return errs
}

// settleUnsynced records the outcome of a syncfs for the files closed
// unsynced: the named parts get err, the others keep it for their own
// next sync.
func (c *fileCache) settleUnsynced(parts []Part, errs []error, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, p := range parts {
		if _, ok := c.unsynced[p]; ok && errs[i] == nil {
			errs[i] = err
		}
		delete(c.unsynced, p)
	}
	for p := range c.unsynced {
		if err != nil {
			c.lost[p] = err
		}
		delete(c.unsynced, p)
	}
}

// forget closes part's file if open, drops any sync error kept for it and
// waits for a close in progress, before the file is deleted.
func (c *fileCache) forget(match func(Part) bool) {
	c.mu.Lock()
	var victims []*cachedFile
	for p, e := range c.entries {
		if match(p) {
			c.dropLocked(e)
			if e.users == 0 {
				victims = append(victims, e)
			}
		}
	}
	for p := range c.lost {
		if match(p) {
			delete(c.lost, p)
		}
	}
	for p := range c.unsynced {
		if match(p) {
			delete(c.unsynced, p)
		}
	}
	var waits []chan struct{}
	for p, cl := range c.closing {
		if match(p) && !retiredBy(victims, cl) {
			waits = append(waits, cl.done)
		}
	}
	c.mu.Unlock()
	for _, e := range victims {
		e.dirty = false // about to be deleted: no sync needed
	}
	c.closeAll(victims, false)
	for _, w := range waits {
		<-w
	}
	c.mu.Lock()
	for p := range c.lost {
		if match(p) {
			delete(c.lost, p)
		}
	}
	c.mu.Unlock()
}

// retiredBy reports whether cl is the close of one of es.
func retiredBy(es []*cachedFile, cl *closer) bool {
	for _, e := range es {
		if e.closer == cl {
			return true
		}
	}
	return false
}

// openCount is the number of files open now (for tests).
func (c *fileCache) openCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries) + len(c.closing)
}

// closeAllFiles closes every file at shutdown, syncing dirty ones and
// those closed unsynced.
func (c *fileCache) closeAllFiles() error {
	c.mu.Lock()
	var victims []*cachedFile
	for _, e := range c.entries {
		c.dropLocked(e)
		if e.users == 0 {
			victims = append(victims, e)
		}
	}
	pending := len(c.unsynced) > 0
	c.mu.Unlock()
	c.closeAll(victims, true)
	var errs []error
	if pending {
		errs = append(errs, c.syncAll())
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, err := range c.lost {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
