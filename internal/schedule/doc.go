// Package schedule is sagesaver's schedule language and its evaluation: AWS
// EventBridge cron and rate expressions, Instance Scheduler style periods,
// the versioned schedules file (kind ScheduleSet), and the pure decision that
// `schedule run` applies to each resource. Nothing here does I/O or reads the
// clock: every function takes the time it evaluates at.
//
// Time zones: every schedule names an IANA zone. Cron times that do not exist
// on a spring-forward day are skipped and times that occur twice on a
// fall-back day fire once, at the first occurrence, as EventBridge Scheduler
// does. Period boundaries are never skipped: a period beginning at a time that
// does not exist begins when the clock jumps past it.
//
// The package embeds the time zone database (time/tzdata) so that the static
// binary evaluates schedules the same way on hosts without /usr/share/zoneinfo
// (Lambda, minimal containers).
package schedule

import _ "time/tzdata" // zones must resolve on hosts without zoneinfo files
