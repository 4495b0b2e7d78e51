// Package aof is Redis 7's append-only file: the multi-part layout (a directory holding
// a base file, incremental files and a manifest naming them), the command encoding
// written to incremental files, the reader that replays them, and the appender that
// writes and fsyncs them under the appendfsync policies.
//
// It knows files and bytes, not commands' meaning: the node decides what to append and
// executes what the reader returns. It imports nothing of shoal's but the standard
// library.
package aof
