import Foundation

/// CPU time consumed by the calling thread (`CLOCK_THREAD_CPUTIME_ID`), in seconds.
enum ThreadCPUClock {
    static func seconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time) == 0 else { return 0 }
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
