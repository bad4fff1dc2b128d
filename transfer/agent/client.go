package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// ErrClientClosed is returned by calls on a closed Client, or one whose
// agent went away.
var ErrClientClosed = errors.New("the connection to the hoist agent is closed")

// Client is a connection to an agent. It is safe for concurrent use.
type Client struct {
	conn  net.Conn
	hello Hello

	wmu    sync.Mutex
	mu     sync.Mutex
	nextID uint64
	calls  map[uint64]chan Message
	// stream receives the subscription's uploads and events.
	stream chan Message
	done   chan struct{}
	quit   chan struct{}
	once   sync.Once
	err    error
	wg     sync.WaitGroup
}

// Dial connects to the agent listening on socket and exchanges hellos. An
// agent of another protocol version is refused with an error saying so.
func Dial(ctx context.Context, socket string) (*Client, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: nc, calls: map[uint64]chan Message{}, stream: make(chan Message, 1024), done: make(chan struct{}), quit: make(chan struct{})}
	c.wg.Go(c.read)
	m, err := c.call(ctx, Request{Op: OpHello, Version: Version})
	if err == nil && m.Hello == nil {
		err = errors.New("the agent did not greet")
	}
	if err == nil && m.Hello.Version != Version {
		err = fmt.Errorf("the hoist agent (pid %d) speaks agent protocol version %d, this hoist speaks %d: use the same hoist version",
			m.Hello.PID, m.Hello.Version, Version)
	}
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("hoist agent on %s: %w", socket, err)
	}
	c.hello = *m.Hello
	return c, nil
}

// PID is the agent's process id.
func (c *Client) PID() int { return c.hello.PID }

// Close ends the connection; the agent's uploads go on.
func (c *Client) Close() error {
	c.once.Do(func() { close(c.quit) })
	err := c.conn.Close()
	c.wg.Wait()
	return err
}

// Done is closed when the connection has ended.
func (c *Client) Done() <-chan struct{} { return c.done }

// read dispatches the agent's lines until the connection ends.
func (c *Client) read() {
	defer func() {
		c.mu.Lock()
		if c.err == nil {
			c.err = ErrClientClosed
		}
		for id, ch := range c.calls {
			close(ch)
			delete(c.calls, id)
		}
		c.mu.Unlock()
		close(c.stream)
		close(c.done)
	}()
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			c.setErr(fmt.Errorf("the agent sent something that is not the agent protocol: %w", err))
			return
		}
		if m.ID == 0 && m.Error != "" {
			// A refusal before any request was answered.
			c.setErr(errors.New(m.Error))
			return
		}
		if m.ID == 0 {
			select {
			case c.stream <- m:
			case <-c.quit:
				return
			}
			continue
		}
		c.mu.Lock()
		ch := c.calls[m.ID]
		delete(c.calls, m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

func (c *Client) setErr(err error) {
	c.mu.Lock()
	c.err = err
	c.mu.Unlock()
	c.conn.Close()
}

// call sends req and waits for its answer; an answer with an error is
// returned as an error too.
func (c *Client) call(ctx context.Context, req Request) (Message, error) {
	ch := make(chan Message, 1)
	c.mu.Lock()
	if c.calls == nil || c.isDone() {
		err := c.err
		c.mu.Unlock()
		return Message{}, err
	}
	c.nextID++
	req.ID = c.nextID
	c.calls[req.ID] = ch
	c.mu.Unlock()
	b, err := json.Marshal(req)
	if err != nil {
		return Message{}, err
	}
	c.wmu.Lock()
	_, err = c.conn.Write(append(b, '\n'))
	c.wmu.Unlock()
	if err != nil {
		// The agent may have refused the connection and closed it: its
		// reason, once read, says more than the failed write.
		wait := time.NewTimer(2 * time.Second)
		defer wait.Stop()
		select {
		case <-c.done:
		case <-wait.C:
		case <-ctx.Done():
		}
		c.mu.Lock()
		reason := c.err
		c.mu.Unlock()
		if reason != nil && !errors.Is(reason, ErrClientClosed) {
			return Message{}, reason
		}
		return Message{}, fmt.Errorf("writing to the hoist agent: %w", err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return Message{}, err
		}
		if m.Error != "" {
			return m, errors.New(m.Error)
		}
		return m, nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.calls, req.ID)
		c.mu.Unlock()
		return Message{}, ctx.Err()
	}
}

func (c *Client) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// Start hands a new upload to the agent: files with tags, to the server
// and with the connection settings set. fid may be empty for a random one.
// It returns the upload's fid.
func (c *Client) Start(ctx context.Context, set Settings, fid string, files []File, tags []string) (string, error) {
	m, err := c.call(ctx, Request{Op: OpStart, Settings: &set, FID: fid, Files: files, Tags: tags})
	return m.FID, err
}

// StartTree starts a job that sends t's paths (absolute) with their paths,
// in as many uploads as the server needs, and returns the job's id. The
// job's events (client.JobEvent, client.AlreadyThereEvent) and its parts'
// come to subscribers; Pause, Resume and RetryNow with the job's id act on
// its running part, Cancel and Wait on the whole job.
func (c *Client) StartTree(ctx context.Context, set Settings, t Tree, tags []string) (string, error) {
	m, err := c.call(ctx, Request{Op: OpStartTree, Settings: &set, Tree: &t, Tags: tags})
	return m.Job, err
}

// Pause pauses upload fid (or the one whose fid starts so).
func (c *Client) Pause(ctx context.Context, fid string) error { return c.simple(ctx, OpPause, fid) }

// Resume continues a paused upload.
func (c *Client) Resume(ctx context.Context, fid string) error { return c.simple(ctx, OpResume, fid) }

// Cancel gives up an upload for good.
func (c *Client) Cancel(ctx context.Context, fid string) error { return c.simple(ctx, OpCancel, fid) }

// RetryNow ends an upload's backoff wait.
func (c *Client) RetryNow(ctx context.Context, fid string) error {
	return c.simple(ctx, OpRetryNow, fid)
}

func (c *Client) simple(ctx context.Context, op, fid string) error {
	_, err := c.call(ctx, Request{Op: op, FID: fid})
	return err
}

// List describes the agent's uploads, finished ones included.
func (c *Client) List(ctx context.Context) ([]UploadInfo, []JobInfo, error) {
	m, err := c.call(ctx, Request{Op: OpList})
	return m.Uploads, m.Jobs, err
}

// Wait blocks until upload fid, or job fid, ends and returns nil only if
// every file verified (or, in a job, was already there). It returns the
// full fid or job id.
func (c *Client) Wait(ctx context.Context, fid string) (string, error) {
	m, err := c.call(ctx, Request{Op: OpWait, FID: fid})
	if m.Job != "" {
		return m.Job, err
	}
	return m.FID, err
}

// Unfinished lists the journal's unfinished uploads not running anywhere,
// as the engine for set sees them. Entries that could be read come next
// to an error about the others.
func (c *Client) Unfinished(ctx context.Context, set Settings) ([]UnfinishedInfo, error) {
	m, err := c.call(ctx, Request{Op: OpUnfinished, Settings: &set})
	return m.Unfinished, err
}

// ResumeUnfinished continues a journaled upload in the agent.
func (c *Client) ResumeUnfinished(ctx context.Context, set Settings, fid string) error {
	_, err := c.call(ctx, Request{Op: OpResumeUnfinished, Settings: &set, FID: fid})
	return err
}

// SetRateLimit caps the bytes per second of the uploads run with set, all
// together, new ones included (0: no cap).
func (c *Client) SetRateLimit(ctx context.Context, set Settings, bytesPerSecond int64) error {
	_, err := c.call(ctx, Request{Op: OpRateLimit, Settings: &set, Rate: &bytesPerSecond})
	return err
}

// RateLimit returns the cap in force for the uploads run with set.
func (c *Client) RateLimit(ctx context.Context, set Settings) (int64, error) {
	m, err := c.call(ctx, Request{Op: OpRateLimit, Settings: &set})
	if err != nil {
		return 0, err
	}
	if m.Rate == nil {
		return 0, errors.New("the agent did not say its rate limit")
	}
	return *m.Rate, nil
}

// Subscribe asks for every upload, job and event: it returns the uploads
// and the jobs as they are now, and Stream then delivers the replay (each upload's
// description, recent events and latest state) followed by live events.
// Call it once per Client.
func (c *Client) Subscribe(ctx context.Context) ([]UploadInfo, []JobInfo, error) {
	m, err := c.call(ctx, Request{Op: OpSubscribe})
	return m.Uploads, m.Jobs, err
}

// Stream delivers what Subscribe asked for: messages with Upload,
// JobStarted or Event set. It is closed when the connection ends. A subscriber that
// does not keep up is disconnected by the agent.
func (c *Client) Stream() <-chan Message { return c.stream }
