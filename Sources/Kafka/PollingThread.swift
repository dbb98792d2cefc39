import CRdKafka
import Foundation

/// A dedicated thread that serves a client's callbacks (`rd_kafka_poll`) until stopped.
/// librdkafka only delivers reports and errors from inside a poll call.
final class PollingThread: Sendable {
    private let stopped = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)

    init(client: NativeClient, name: String) {
        let thread = Thread { [stopped, finished] in
            while !stopped.isSet {
                rd_kafka_poll(client.handle, 100)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the thread and waits for it to leave its last poll.
    func stop() {
        guard stopped.setOnce() else { return }
        finished.wait()
    }
}
