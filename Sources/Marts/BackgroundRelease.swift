import Dispatch

/// Frees memory on a thread of its own: a value handed to ``release(_:)`` is dropped there
/// rather than on the caller's thread, if the caller held the last reference.
///
/// For the thread that holds the state transaction, the consumer's serial part: what it is done
/// with (each flush's versions, each polled piece of messages with its preparation) was made
/// on the preparing threads, a few dozen allocations per record, and freeing them was several
/// per cent of its time. `scripts/bench-compare.sh` against the same code without it, three
/// sets of five alternations at 600 patients: medians 37,781 vs 34,063, 34,019 vs 33,545 and
/// 35,372 vs 33,511 records/s (applying thread's CPU -5, -3 and -3.5 %); two at 6000 patients:
/// 23,028 vs 22,578 (-3 %).
public enum BackgroundRelease {
    private static let queue = DispatchQueue(label: "emr-release")

    public static func release<T: Sendable>(_ value: consuming T) {
        let handedOver = value
        queue.async { withExtendedLifetime(handedOver) {} }
    }
}
