package client

import "github.com/hoist-dev/hoist/transfer/wire"

// sendQueue is the order in which a session sends chunks: chunks to resend
// first, then the server's missing ranges, file by file.
type sendQueue struct {
	again  []chunkRef
	ranges []fileRange
}

type fileRange struct {
	file      int
	next, end uint64
}

// add queues the missing ranges of file.
func (q *sendQueue) add(file int, missing []wire.Range) {
	for _, r := range missing {
		q.ranges = append(q.ranges, fileRange{file: file, next: r[0], end: r[1]})
	}
}

// resend queues ref ahead of the chunks not sent yet.
func (q *sendQueue) resend(ref chunkRef) { q.again = append(q.again, ref) }

// peek returns the next chunk without taking it.
func (q *sendQueue) peek() (chunkRef, bool) {
	if len(q.again) > 0 {
		return q.again[0], true
	}
	for len(q.ranges) > 0 && q.ranges[0].next >= q.ranges[0].end {
		q.ranges = q.ranges[1:]
	}
	if len(q.ranges) == 0 {
		return chunkRef{}, false
	}
	return chunkRef{file: q.ranges[0].file, index: q.ranges[0].next}, true
}

// pop takes the chunk peek returned.
func (q *sendQueue) pop() {
	if len(q.again) > 0 {
		q.again = q.again[1:]
		return
	}
	if len(q.ranges) > 0 {
		q.ranges[0].next++
	}
}
