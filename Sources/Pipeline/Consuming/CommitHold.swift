import Foundation

/// Fault injection for crash tests: hold one batch's transaction open, after its marts are
/// written and its dead letters acknowledged by the broker, before COMMIT, so that a
/// `kill -9` is known to land inside it. Off unless asked for (`EMR_FAULT_HOLD_BEFORE_COMMIT`
/// in `emr consume`); never used in production.
public struct CommitHold: Sendable, Equatable {
    /// Which batch of this run to hold, counted from 1.
    public var batch: Int
    /// How long to hold it at most.
    public var seconds: Double
    /// When set, the hold also ends as soon as this file exists (a test releases it once it
    /// has seen what it waited for, however long a busy machine took to get there).
    public var releaseFile: String?

    public init(batch: Int, seconds: Double, releaseFile: String? = nil) {
        self.batch = batch
        self.seconds = seconds
        self.releaseFile = releaseFile
    }

    /// Reads `BATCH:SECONDS` or `BATCH:SECONDS:RELEASE_FILE` (e.g. `3:60`,
    /// `2:120:/tmp/release`); nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, let batch = Int(parts[0]), batch >= 1,
              let seconds = Double(parts[1]), seconds.isFinite, seconds >= 0 else { return nil }
        if parts.count == 3, parts[2].isEmpty { return nil }
        self.init(batch: batch, seconds: seconds, releaseFile: parts.count == 3 ? String(parts[2]) : nil)
    }
}

/// Counts the batches that reach COMMIT in one run and holds the one ``CommitHold`` names,
/// saying so on the log first (tests wait for that line, then kill).
final class CommitHoldInjector {
    private let hold: CommitHold
    private let announce: (String) -> Void
    private let reached = NSLock()
    private var count = 0

    init(_ hold: CommitHold, announce: @escaping (String) -> Void) {
        self.hold = hold
        self.announce = announce
    }

    func beforeCommit(_ outcome: BatchOutcome) {
        reached.lock()
        count += 1
        let number = count
        reached.unlock()
        guard number == hold.batch else { return }
        announce("fault injection: holding batch \(number) open before COMMIT for \(hold.seconds) s "
                 + "(read \(outcome.read), rejected \(outcome.rejected), dead letters acknowledged \(outcome.deadLetters))")
        let until = Date().addingTimeInterval(hold.seconds)
        while Date() < until {
            if let file = hold.releaseFile, FileManager.default.fileExists(atPath: file) { return }
            Thread.sleep(forTimeInterval: min(0.05, max(0, until.timeIntervalSinceNow)))
        }
    }
}
