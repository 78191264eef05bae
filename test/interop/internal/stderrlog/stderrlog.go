// Package stderrlog is a go-micro logger that writes to stderr. go-micro v5's default
// logger prints with fmt.Printf (to stdout, whatever its Out option says), which
// would mix its lines into the stdout protocol of the interop commands.
package stderrlog

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"go-micro.dev/v5/logger"
)

var mu sync.Mutex // one line at a time, across every derived logger

type stderrLogger struct {
	opts logger.Options
}

// Install makes a stderr logger go-micro's default. Call it first in main: go-micro
// components copy logger.DefaultLogger when they are constructed. The level comes
// from MICRO_LOG_LEVEL (default info), as in go-micro.
func Install() {
	level, err := logger.GetLevel(os.Getenv("MICRO_LOG_LEVEL"))
	if err != nil {
		level = logger.InfoLevel
	}
	l := &stderrLogger{opts: logger.Options{Level: level, Out: os.Stderr, Fields: map[string]interface{}{}}}
	logger.DefaultLogger = l
	logger.DefaultHelper = logger.NewHelper(l)
}

func (l *stderrLogger) Init(opts ...logger.Option) error {
	for _, o := range opts {
		o(&l.opts)
	}
	return nil
}

func (l *stderrLogger) Options() logger.Options { return l.opts }

func (l *stderrLogger) Fields(fields map[string]interface{}) logger.Logger {
	merged := make(map[string]interface{}, len(l.opts.Fields)+len(fields))
	for k, v := range l.opts.Fields {
		merged[k] = v
	}
	for k, v := range fields {
		merged[k] = v
	}
	opts := l.opts
	opts.Fields = merged
	return &stderrLogger{opts: opts}
}

func (l *stderrLogger) Log(level logger.Level, v ...interface{}) {
	l.write(level, fmt.Sprint(v...))
}

func (l *stderrLogger) Logf(level logger.Level, format string, v ...interface{}) {
	l.write(level, fmt.Sprintf(format, v...))
}

func (l *stderrLogger) String() string { return "stderr" }

func (l *stderrLogger) write(level logger.Level, msg string) {
	if !l.opts.Level.Enabled(level) {
		return
	}
	var b strings.Builder
	b.WriteString(time.Now().Format("2006-01-02T15:04:05.000"))
	b.WriteString(" level=" + level.String())
	keys := make([]string, 0, len(l.opts.Fields))
	for k := range l.opts.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%v", k, l.opts.Fields[k])
	}
	b.WriteString(" " + msg + "\n")
	out := l.opts.Out
	if out == nil || out == io.Writer(os.Stdout) {
		out = os.Stderr // stdout belongs to the command's own protocol
	}
	mu.Lock()
	defer mu.Unlock()
	_, _ = io.WriteString(out, b.String())
}
