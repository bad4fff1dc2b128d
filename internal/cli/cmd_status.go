package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/internal/units"
	"github.com/hoist-dev/hoist/transfer/agent"
	"github.com/hoist-dev/hoist/transfer/client"
)

const statusHelp = `Shows what the background agent is doing: one line per job (a directory
sent with --detach: walking, sending, done...) with the files its walk found
and the parts it started, then one line per upload it runs or ran (the last
1,000 that ended are kept), with its short fid, state, progress and server;
a job's parts say which job they belong to. With --json, one JSON document:
{"agent": {"pid": N}, "jobs": [...], "uploads": [...]}, or
{"agent": null, "jobs": [], "uploads": []} when no agent runs. --follow
keeps showing changes until interrupted (with --json: every event as a JSON
line).`

// newStatusCommand builds `hoist status`.
func newStatusCommand(env *Env) *cobra.Command {
	var jsonOut, follow bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the uploads the background agent runs",
		Long:  statusHelp,
		Args:  noArgs,
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep showing changes")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		c, err := dialAgent(ctx, env.Getenv)
		if errors.Is(err, errNoAgent) {
			if jsonOut {
				_, err := fmt.Fprintln(env.Stdout, `{"agent":null,"jobs":[],"uploads":[]}`)
				return err
			}
			_, err := fmt.Fprintln(env.Stdout, "no hoist agent runs")
			return err
		}
		if err != nil {
			return err
		}
		defer c.Close()
		if follow {
			return followStatus(ctx, c, jsonOut, env.Stdout)
		}
		ups, jobs, err := c.List(ctx)
		if err != nil {
			return err
		}
		return printStatus(env.Stdout, c.PID(), ups, jobs, jsonOut)
	}
	return cmd
}

// statusDoc is `hoist status --json`.
type statusDoc struct {
	Agent   *agentDoc          `json:"agent"`
	Jobs    []agent.JobInfo    `json:"jobs"`
	Uploads []agent.UploadInfo `json:"uploads"`
}

type agentDoc struct {
	PID     int `json:"pid"`
	Version int `json:"protocol_version"`
}

func printStatus(w io.Writer, pid int, ups []agent.UploadInfo, jobs []agent.JobInfo, jsonOut bool) error {
	if jsonOut {
		if ups == nil {
			ups = []agent.UploadInfo{}
		}
		if jobs == nil {
			jobs = []agent.JobInfo{}
		}
		b, err := json.Marshal(statusDoc{Agent: &agentDoc{PID: pid, Version: agent.Version}, Jobs: jobs, Uploads: ups})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "hoist agent (pid %d): %d upload(s)", pid, len(ups))
	if len(jobs) > 0 {
		fmt.Fprintf(&b, ", %d job(s)", len(jobs))
	}
	b.WriteString("\n")
	for _, j := range jobs {
		b.WriteString(jobLine(j) + "\n")
		for _, line := range jobLogLines(j) {
			b.WriteString("  " + line + "\n")
		}
	}
	for _, u := range ups {
		b.WriteString(statusLine(u) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// statusLine is one upload in a line.
func statusLine(u agent.UploadInfo) string {
	pct := 100.0
	if u.TotalBytes > 0 {
		pct = 100 * float64(u.AckedBytes) / float64(u.TotalBytes)
	}
	line := fmt.Sprintf("%s  %-12s %5.1f%%  %s/%s  %d file(s)  %s", client.ShortFID(u.FID), u.State, pct,
		units.FormatSize(u.AckedBytes), units.FormatSize(u.TotalBytes), len(u.Files), u.Server)
	if u.Job != "" {
		line += fmt.Sprintf("  part %d of job %s", u.Part, client.ShortFID(u.Job))
	}
	if u.Error != "" {
		line += "  " + clean(u.Error)
	}
	return line
}

// jobLine is one job in a line: what its walk found, and its parts.
func jobLine(j agent.JobInfo) string {
	found := "found"
	if !j.Walk.Done && !j.Final {
		found = "found so far"
	}
	line := fmt.Sprintf("job %s  %-12s %d file(s) %s, %s  %d part(s)  %s", client.ShortFID(j.ID), j.State,
		j.Walk.Files, found, units.FormatSize(j.Walk.Bytes), j.Parts, j.Server)
	if j.AlreadyThere > 0 {
		line += fmt.Sprintf("  %d already there", j.AlreadyThere)
	}
	if j.Error != "" {
		line += "  " + clean(j.Error)
	}
	return line
}

// jobLogLines are a job's notes and the paths its walk skipped, from the
// log the agent keeps (the files already there are counted in its line).
func jobLogLines(j agent.JobInfo) []string {
	var out []string
	if j.LogDropped > 0 {
		out = append(out, fmt.Sprintf("(%d earlier line(s) not kept)", j.LogDropped))
	}
	for _, w := range j.Log {
		if ev, ok := w.Decode().(*client.JobEvent); ok {
			if line := jobEventText(ev); line != "" {
				out = append(out, line)
			}
		}
	}
	return out
}

// jobEventText says a job's note or skipped path in words; "" for other
// events.
func jobEventText(ev *client.JobEvent) string {
	switch ev.Kind {
	case client.JobNote:
		return "note: " + clean(ev.Note)
	case client.JobSkipped:
		return fmt.Sprintf("skipped %s: %s", clean(ev.Path), clean(ev.Reason))
	}
	return ""
}

// followLine is what `hoist status --follow` prints of a message from the
// agent: an upload's new state, a job's start, its parts and its end; ""
// for the rest (progress shows on the ticks).
func followLine(m agent.Message) string {
	switch {
	case m.JobStarted != nil:
		return jobLine(*m.JobStarted)
	case m.Event == nil:
		return ""
	case m.Event.Type == "session":
		return fmt.Sprintf("%s  %s", client.ShortFID(m.Event.FID), client.State(m.Event.State))
	}
	ev, ok := m.Event.Decode().(*client.JobEvent)
	if !ok {
		return ""
	}
	job := client.ShortFID(ev.Job)
	switch ev.Kind {
	case client.JobPartStarted:
		return fmt.Sprintf("job %s  part %d started: upload %s, %d file(s)", job, ev.Part, client.ShortFID(ev.FID), len(ev.Files))
	case client.JobNote, client.JobSkipped:
		return fmt.Sprintf("job %s  %s", job, jobEventText(ev))
	case client.JobDone:
		state, why := agent.JobEnd(ev.Err)
		line := fmt.Sprintf("job %s  %s  %d file(s) found, %d part(s), %d already there", job, state,
			ev.Walk.Files, ev.Parts, ev.AlreadyThere)
		if why != "" {
			line += "  " + clean(why)
		}
		return line
	}
	return ""
}

// followStatus prints changes until ctx ends or the agent goes away.
func followStatus(ctx context.Context, c *agent.Client, jsonOut bool, w io.Writer) error {
	ups, jobs, err := c.Subscribe(ctx)
	if err != nil {
		return err
	}
	if !jsonOut {
		if err := printStatus(w, c.PID(), ups, jobs, false); err != nil {
			return err
		}
	}
	enc := json.NewEncoder(w)
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case m, ok := <-c.Stream():
			if !ok {
				return errors.New("the hoist agent went away")
			}
			if jsonOut {
				if err := enc.Encode(m); err != nil {
					return err
				}
				continue
			}
			if line := followLine(m); line != "" {
				fmt.Fprintln(w, line)
			}
		case <-tick.C:
			if jsonOut {
				continue
			}
			ups, jobs, err := c.List(ctx)
			if err != nil {
				return err
			}
			for _, j := range jobs {
				if !j.Final {
					fmt.Fprintln(w, jobLine(j))
				}
			}
			for _, u := range ups {
				if !u.Final {
					fmt.Fprintln(w, statusLine(u))
				}
			}
		}
	}
}
