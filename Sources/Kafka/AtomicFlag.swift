import Synchronization

/// A flag that can be set once, from any thread.
final class AtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)

    /// Sets the flag; true only for the call that set it.
    func setOnce() -> Bool {
        !value.exchange(true, ordering: .acquiringAndReleasing)
    }

    var isSet: Bool { value.load(ordering: .acquiring) }
}
