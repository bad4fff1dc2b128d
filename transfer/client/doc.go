// Package client is hoist's transfer engine: it carries uploads to a hoist
// server over flaky links and reports every step as typed events, for the
// terminal UI and `hoist send` alike. It never imports a UI package.
//
// # Uploads
//
// An upload is a set of local files, tags and a fid (a UUID chosen by the
// client). Engine.Start runs it in the background. Each
// session dials the server (tcp://, tls://, unix://, ssh:// or host:port),
// authenticates with the fid, takes the server's map of missing chunks as
// the truth, and pipelines TRANSFERs of those chunks, each read with a
// positional read and sent with its CRC-32C, the server's raw extension
// when it offers one. Answers are matched to requests by message-id.
//
// The number of unanswered TRANSFERs is bounded by count and by bytes; the
// byte bound adapts to the measured bandwidth-delay product (see window.go)
// and never exceeds Options.Window. The chunk size a new upload asks for
// follows the throughput last measured to its server (about two seconds a
// chunk, within Options.ChunkSize), so slow links make steady progress.
//
// # Jobs: trees, files already there, parts
//
// Engine.StartTree sends files and directories as one job. The walk
// streams (it holds only the files of the part being prepared) and keeps
// paths: a directory goes up as its base name with the paths below it, a
// directory written with a trailing slash as its contents only (rsync's
// rule); Excludes leave paths out; empty directories are counted, not sent.
// Before each part the job asks the server (LIST by path) which files the
// user holds; only local files whose size matches are hashed, and identical
// ones are skipped with an AlreadyThereEvent. The rest go up in consecutive
// uploads of at most the server's files-per-upload limit (its LIST answer
// states it; 1,000 for a server that cannot list, halved on a refusal).
// JobEvent reports the walk, each part's fid, notes and the end; a file's
// stored path, when the server chose a new name, is FileProgress.Stored.
// Engine.List and Engine.Remove list and remove the user's files.
//
// Options.RateLimit (and Engine.SetRateLimit, live) caps the chunk bytes
// written per second, all uploads together.
//
// # Failures
//
//   - A chunk answered "corrupt", or still unanswered half of
//     Options.ReadTimeout after a later chunk was answered, is sent again
//     (ChunkResent, with the reason).
//   - A dropped or reset connection, a stall (no byte accepted, or no
//     answer while nothing can be sent, for Options.ReadTimeout: timeouts
//     measure progress, not the size of a frame), "busy" and "internal" end
//     the session; the upload reconnects after a jittered backoff that grows
//     by 1.5 to 2 times per attempt (Options.Retry) and sends only what the
//     server still misses. The backoff, and the retry budget (how long an
//     upload may go without progress before it fails), start again once a
//     session got a chunk acknowledged. Engine.RetryNow skips a wait.
//   - Errors that retrying cannot heal end the upload at once and say what
//     to do: an unknown host, ssh's exit status 127 (hoist is not installed
//     on the remote host), a tcp:// server that speaks TLS or a tls:// one
//     that does not, an untrusted certificate.
//   - "unauthorized" makes the engine ask its TokenSource again and
//     reconnect at once; a second refusal in a row ends the upload.
//   - "forbidden", "quota", "too-large", "bad-request" and "conflict" end the
//     upload at once with the server's reason (errors.Is(err, wire.ErrQuota)).
//   - A file whose size or modification time changes after Start fails, with
//     ErrFileChanged naming it; the other files go on.
//
// # Verification and the journal
//
// A goroutine per upload hashes the local files (sha256) in parallel with the
// transfer, checking before and after that they did not change. A file is
// verified when the server holds all its chunks and the sha256 it reports
// for the stored file (in the Ok that completed it, or in a later
// authentication's "complete" list) equals the local one; a mismatch fails it
// with ErrChecksumMismatch. Engine.Wait returns nil only when every file is
// verified.
//
// The journal (one small JSON file per upload, written atomically, in
// Options.JournalDir) lets a new process continue with Engine.Unfinished and
// Engine.ResumeJournal; Engine.List shows its uploads with short fids, and
// every method that takes a fid from a user takes a unique prefix
// (Engine.ResolveFID). An entry is written once the server accepted the
// upload, so uploads that never began are not kept; it is removed when its
// upload is verified, canceled, or has failed in a way a resume cannot
// repair (every file verified or failed for good); Close and crashes keep
// it. Engine.Cancel also asks the server to drop the partial upload and its
// quota at once (ErrPartialKept when it cannot). An advisory lock
// (github.com/gofrs/flock) keeps two processes from running the same
// upload; the loser's error, *UploadLockedError, names the holder's pid.
//
// # Events
//
// Engine.Events delivers *SessionEvent, *ChunkEvent and *ProgressEvent for
// every upload, and *JobEvent and *AlreadyThereEvent for every job, on one
// channel. Delivery never blocks an upload:
//
//   - Session events (every state change) are never dropped.
//   - Chunk events are queued up to a bound; past it they are dropped and
//     counted in ProgressEvent.DroppedChunkEvents. Every TRANSFER written
//     gives one ChunkSent (the chunk's first write by this engine) or one
//     ChunkResent (any later write, with the reason); every chunk the
//     server newly holds gives one ChunkAcked.
//   - Progress snapshots are emitted at most every 100 ms while counters
//     change, and right before every session event. A newer snapshot
//     replaces one still queued unless another event of the upload was
//     queued after it, so a slow consumer sees the latest.
//   - Events of one upload arrive in the order they happened. The upload's
//     final session event (done, failed, canceled) is queued before Wait
//     returns, after a final snapshot.
//   - Acknowledged bytes of a file never exceed its size, never decrease,
//     and equal its size once it is verified.
//
// Close discards events not yet received and closes the channel.
package client
