// Standard output for Swift: `stdout` is a C global that Swift 6's concurrency checking will
// not let Swift code touch, so what the CLI sets on it is done here.
#include <stdio.h>

/// Makes standard output line-buffered (C makes it fully buffered when it is not a terminal):
/// progress and summary lines reach a log file or a pipe as they are printed.
static inline void emr_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
