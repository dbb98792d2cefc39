// SQLite for Swift.
#include <sqlite3.h>

// sqlite3_config is variadic (not callable from Swift): fixed-argument forms of what we set.

/// Stops SQLite counting allocated memory, which takes a process-wide mutex on every
/// allocation. Only effective before SQLite initializes (before the first connection).
static inline int emr_sqlite3_disable_memory_statistics(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
