package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// newManCommand builds the hidden `hoist man DIR`, which writes a manual
// page for root and each of its commands into DIR, as the release build does
// (.goreleaser.yaml).
func newManCommand(root *cobra.Command, build Build) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "man DIR",
		Short:  "Write the manual pages into DIR",
		Hidden: true,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef(cmd, "give the directory to write the pages into")
			}
			return nil
		},
	}
	date := cmd.Flags().String("date", "", "date the pages with this RFC 3339 `time` (default now), for a reproducible build")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		when := time.Now()
		if *date != "" {
			t, err := time.Parse(time.RFC3339, *date)
			if err != nil {
				return usagef(cmd, "--date: %w", err)
			}
			when = t
		}
		dir := args[0]
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("manual pages: %w", err)
		}
		// Pages of commands since removed must not linger in a release.
		stale, _ := filepath.Glob(filepath.Join(dir, "hoist*.1"))
		for _, p := range stale {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("manual pages: %w", err)
			}
		}
		root.DisableAutoGenTag = true
		header := &doc.GenManHeader{Title: "HOIST", Section: "1", Date: &when, Source: "hoist " + build.Version, Manual: "hoist manual"}
		if err := doc.GenManTree(root, header, dir); err != nil {
			return fmt.Errorf("manual pages: %w", err)
		}
		return nil
	}
	return cmd
}
