/// The retry policy of a batch that could not be written: the error it failed with, and a
/// growing pause (``Backoff``) before the partitions are read again from the stored offsets.
struct BatchRetry {
    private(set) var backoff: Backoff
    /// The error of the last failed attempt, while failing.
    private(set) var failing: Error?

    init(initialMs: Int, maxMs: Int) {
        backoff = Backoff(initialMs: initialMs, maxMs: maxMs)
    }

    mutating func failed(_ error: Error) { failing = error }

    /// The failed attempts before this success, nil when nothing was failing.
    mutating func succeeded() -> Int? {
        guard failing != nil else { return nil }
        defer { failing = nil; backoff.reset() }
        return backoff.attempts
    }

    /// Sleeps the next pause; true when asked to stop meanwhile.
    mutating func pause(_ shouldStop: () -> Bool) -> Bool { backoff.sleep(shouldStop) }

    var describeNext: String { backoff.describeNext }
}
