package tui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The server's limits on tags (its defaults); the editor refuses what the
// server would refuse, so a bad tag is caught before an upload starts.
const (
	maxTags     = 32
	maxTagBytes = 64
)

// checkTag reports why the server would refuse tag, or nil: a tag is
// non-empty UTF-8 of at most maxTagBytes bytes, every character printable,
// with no commas.
func checkTag(tag string) error {
	switch {
	case tag == "":
		return errors.New("a tag cannot be empty")
	case !utf8.ValidString(tag):
		return errors.New("a tag must be valid UTF-8")
	case len(tag) > maxTagBytes:
		return fmt.Errorf("tag %q is %d bytes long; the limit is %d", truncate(tag, 16), len(tag), maxTagBytes)
	case strings.ContainsRune(tag, ','):
		return fmt.Errorf("tag %q contains a comma, which tags cannot hold", tag)
	}
	for _, r := range tag {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("tag %q contains the unprintable character %U", tag, r)
		}
	}
	return nil
}

// addTag returns tags with tag added, or why it cannot be: the tag is bad,
// already there, or the list is full.
func addTag(tags []string, tag string) ([]string, error) {
	if err := checkTag(tag); err != nil {
		return tags, err
	}
	for _, t := range tags {
		if t == tag {
			return tags, fmt.Errorf("tag %q is already there", tag)
		}
	}
	if len(tags) >= maxTags {
		return tags, fmt.Errorf("an upload carries at most %d tags", maxTags)
	}
	return append(slices.Clip(tags), tag), nil
}
