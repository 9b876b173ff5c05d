package cutover

// The zone database is compiled in: a minimal container image has none, and a wrong "today"
// would mark tasks overdue a day early or late.
import _ "time/tzdata"
