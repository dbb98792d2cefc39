import Foundation

/// Exponential backoff between attempts (doubling from `initialMs` up to `maxMs`), slept in
/// short steps so a stop request is noticed at once.
struct Backoff {
    let initialMs: Int
    let maxMs: Int
    private(set) var attempts = 0

    init(initialMs: Int, maxMs: Int) {
        self.initialMs = max(1, initialMs)
        self.maxMs = max(self.initialMs, maxMs)
    }

    var nextMs: Int { min(maxMs, initialMs << min(attempts, 20)) }
    var describeNext: String { String(format: "%.1f s", Double(nextMs) / 1000) }

    mutating func reset() { attempts = 0 }

    /// Sleeps the next delay; true when `shouldStop` asked to stop meanwhile.
    mutating func sleep(_ shouldStop: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(nextMs)
        attempts += 1
        while ContinuousClock.now < deadline {
            if shouldStop() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return shouldStop()
    }
}
