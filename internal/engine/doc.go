// Package engine runs campaigns. A run executes the campaign's graph
// set-based: each activity execution is a durable job (package jobs) that
// reads its inputs' working tables and writes one working table per output.
//
// An execution has two phases. First the activity's SQL builds its output
// tables under attempt-specific names, outside any lock. Then one short
// transaction, holding the run's lock, completes the job (fenced by its
// lease), records the outputs and their counts, marks the activity done,
// and readies the activities downstream whose inputs are all resolved. A
// process that dies anywhere leaves either nothing (the job is retried when
// its lease expires, its stray tables are dropped) or a finished step: no
// activity is done twice or skipped.
//
// The executor of every activity type is listed in one table, executors
// (env.go), which a test keeps in step with campaign.Types.
package engine
