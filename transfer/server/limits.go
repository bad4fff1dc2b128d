package server

import (
	"fmt"
	"time"

	"github.com/hoist-dev/hoist/transfer/store"
	"github.com/hoist-dev/hoist/transfer/wire"
)

// Limits bound what clients may do. Zero fields take the defaults below.
type Limits struct {
	// MaxFileSize is the largest file accepted, in bytes (default 64 GiB).
	MaxFileSize int64
	// Quota is the bytes a user may hold in completed files plus unfinished
	// uploads; 0 means no quota.
	Quota int64
	// MaxConnections is how many sessions run at once (default 256); more
	// are answered busy and closed.
	MaxConnections int
	// MaxFiles is the most files in one upload (default 1000).
	MaxFiles int
	// MaxTags is the most tags on one upload (default 32), MaxTagLength the
	// longest tag in bytes (default 64).
	MaxTags      int
	MaxTagLength int
	// MaxChunkSize caps the chunk size a client may get (default 4 MiB, at
	// most MaxChunkSizeLimit).
	MaxChunkSize int
	// MaxChunks caps the chunks of one upload, which bounds the memory of
	// its chunk maps (default 1<<26: 16 MiB of bitmaps).
	MaxChunks uint64
	// MaxPending is how many received frames a connection may have waiting
	// for their answer before the server stops reading from it (default 4096).
	MaxPending int
	// IdleTimeout closes a connection that starts no frame for this long
	// (default 5 minutes); FrameTimeout closes one that, inside a frame,
	// sends nothing for this long (a slow link that keeps delivering is
	// never cut), and bounds writing answers (default 30 seconds).
	IdleTimeout  time.Duration
	FrameTimeout time.Duration
	// MaxOpenFiles bounds the partial files the embedded store keeps open
	// at once (default 128); others are opened when a chunk arrives for
	// them. It bounds the descriptors uploads cost, however many files
	// they announce.
	MaxOpenFiles int
	// UnauthenticatedMemory bounds the bytes of frames over 64 KiB that
	// connections without an accepted AUTHENTICATION may have buffered at
	// once, all together (default 64 MiB). A connection that finds it
	// spent waits, up to FrameTimeout, then is answered busy and closed.
	UnauthenticatedMemory int64
	// PartialExpiry is how long an upload may go untouched before it is
	// forgotten and its partial data deleted (default 7 days).
	PartialExpiry time.Duration
}

// Defaults.
const (
	DefaultMaxFileSize    = 64 << 30
	DefaultMaxConnections = 256
	DefaultMaxFiles       = 1000
	DefaultMaxTags        = 32
	DefaultMaxTagLength   = 64
	DefaultMaxChunkSize   = 4 << 20
	DefaultMaxChunks      = 1 << 26
	DefaultMaxPending     = 4096
	DefaultIdleTimeout    = 5 * time.Minute
	DefaultFrameTimeout   = 30 * time.Second
	DefaultPartialExpiry  = 7 * 24 * time.Hour
	DefaultMaxOpenFiles   = store.DefaultMaxOpenFiles
	// DefaultUnauthenticatedMemory is 64 MiB: eight frames of the largest size.
	DefaultUnauthenticatedMemory = 64 << 20
)

// MaxChunkSizeLimit is the largest chunk whose TRANSFER still fits in one
// frame: base64 grows it by 4/3 and the JSON around it needs at most 1 KiB
// (message-id ≤ MaxMessageID bytes, the rest fixed).
const MaxChunkSizeLimit = (wire.MaxPayload - 1024) / 4 * 3

// MaxMessageID is the longest message-id accepted, in bytes.
const MaxMessageID = 128

func (l Limits) withDefaults() (Limits, error) {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if l.MaxFileSize == 0 {
		l.MaxFileSize = DefaultMaxFileSize
	}
	if l.UnauthenticatedMemory == 0 {
		l.UnauthenticatedMemory = DefaultUnauthenticatedMemory
	}
	if l.MaxChunks == 0 {
		l.MaxChunks = DefaultMaxChunks
	}
	def(&l.MaxConnections, DefaultMaxConnections)
	def(&l.MaxFiles, DefaultMaxFiles)
	def(&l.MaxTags, DefaultMaxTags)
	def(&l.MaxTagLength, DefaultMaxTagLength)
	def(&l.MaxChunkSize, DefaultMaxChunkSize)
	def(&l.MaxPending, DefaultMaxPending)
	def(&l.MaxOpenFiles, DefaultMaxOpenFiles)
	defDur(&l.IdleTimeout, DefaultIdleTimeout)
	defDur(&l.FrameTimeout, DefaultFrameTimeout)
	defDur(&l.PartialExpiry, DefaultPartialExpiry)
	switch {
	case l.MaxFileSize < 0, l.Quota < 0, l.MaxConnections < 0, l.MaxFiles < 0, l.MaxTags < 0,
		l.MaxTagLength < 0, l.MaxChunkSize < 0, l.MaxPending < 0, l.MaxOpenFiles < 0, l.UnauthenticatedMemory < 0, l.IdleTimeout < 0,
		l.FrameTimeout < 0, l.PartialExpiry < 0:
		return l, fmt.Errorf("server limits: negative value in %+v", l)
	case l.MaxChunkSize > MaxChunkSizeLimit:
		return l, fmt.Errorf("server limits: max chunk size %d is over %d, the most one frame can carry", l.MaxChunkSize, MaxChunkSizeLimit)
	}
	return l, nil
}
