import CRdKafka
import Foundation
import Synchronization

/// A dedicated thread that serves a client's callbacks (`rd_kafka_poll`) until stopped.
/// librdkafka only delivers reports and errors from inside a poll call.
///
/// It can step aside (``standAside(while:)``) while one thread both produces and serves the
/// reports itself: a report frees the message's memory, which the producing thread allocated,
/// and freeing on another thread takes the producing thread's malloc arena lock each time.
final class PollingThread: Sendable {
    private let stopped = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)
    /// Callers that serve the callbacks themselves right now.
    private let standingAside = Atomic<Int>(0)

    init(client: NativeClient, name: String) {
        let thread = Thread { [self] in  // released when the thread ends, after stop()
            while !stopped.isSet {
                if standingAside.load(ordering: .acquiring) > 0 {
                    Thread.sleep(forTimeInterval: 0.01)
                } else {
                    rd_kafka_poll(client.handle, 100)
                }
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Polls no more (after its current poll, at most 100 ms) while `body` runs.
    func standAside<T>(while body: () throws -> T) rethrows -> T {
        standingAside.add(1, ordering: .acquiringAndReleasing)
        defer { standingAside.subtract(1, ordering: .acquiringAndReleasing) }
        return try body()
    }

    /// Stops the thread and waits for it to leave its last poll.
    func stop() {
        guard stopped.setOnce() else { return }
        finished.wait()
    }
}
