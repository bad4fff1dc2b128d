// Package tui is hoist's terminal UI: pick files with the keyboard, tag them,
// queue them as uploads, and watch every file's chunks go up, get
// acknowledged, fail and be retried, live.
//
// The UI implements no protocol logic. It drives an Uploader (in production
// the transfer engine from package transfer/client) and renders the typed
// event stream that engine reports. Every piece of I/O, directory reads
// included, happens in tea.Cmds that answer with typed messages, so the UI
// never blocks; redraws are capped and engine events are coalesced so that a
// fast upload cannot flood a slow SSH link.
//
// Screens: Browse (a bubbles/list with multi-select, fuzzy filter, sort,
// hidden files, excluded entries greyed or hidden, and a mark on files of
// the same name and size on the server), the Tags editor, Review (the queue
// of uploads), Upload (per-file progress, chunk map, status bar and event
// log; a selection with directories goes up as one job of as many parts
// as the server needs, shown as one upload), Remote (the user's files on
// the server as a tree, filtered by tag, removable), the Resume offer for
// unfinished uploads found in the engine's journal, and Help. + and -
// change the engine's rate limit from any screen.
package tui
