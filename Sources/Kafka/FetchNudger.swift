import CRdKafka
import Foundation
import Synchronization

/// Wakes the threads that fetch a consumer's partitions once the application has drained
/// its local queue.
///
/// librdkafka 2.0 stops fetching a partition while the consumer's queue holds
/// `queued.max.messages.kbytes`, and its broker thread looks again only when something wakes
/// it, at the latest a second later (2.2 added `fetch.queue.backoff.ms` for this). A consumer
/// that drains the queue faster than that waits out the rest of the second: the raw read of
/// `emr bench consume` (600 patients, a 10 MiB queue then) was held at about 50,000 messages/s. A
/// request to a broker is an event its thread wakes for: a log-end query of the assigned
/// partitions (one ListOffsets round trip per leader) sends one to each leader, whose thread
/// then sees the room in the queue and fetches. The query runs on a thread of its own, never
/// more than one at a time, and its answer is not used.
///
/// Only a consumer under load needs it: the queue can have filled since the last wake-up only
/// if at least a queue's worth was consumed since (librdkafka counts value bytes), so a
/// drained queue leads to a query only after half the limit in key and value bytes. A
/// consumer keeping up with a slow stream sends none.
final class FetchNudger: Sendable {
    private let queueLimitBytes: Int
    private let consumedBytes = Atomic<Int>(0)
    private let wanted = Mutex<[TopicPartition]?>(nil)
    private let signal = DispatchSemaphore(value: 0)
    private let stopped = AtomicFlag()
    private let finished = DispatchSemaphore(value: 0)

    /// `queueLimitBytes`: the consumer's `queued.max.messages.kbytes` in bytes.
    init(client: NativeClient, name: String, queueLimitBytes: Int) {
        self.queueLimitBytes = queueLimitBytes
        let thread = Thread { [self] in  // released when the thread ends, after stop()
            while true {
                signal.wait()
                if stopped.isSet { break }
                guard let partitions = wanted.withLock({ $0.take() }), !partitions.isEmpty else { continue }
                _ = try? ClusterMetadata.endOffsets(client.handle, partitions, timeoutMs: 1_000)
            }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Counts the key and value bytes of a consumed message.
    func consumed(bytes: Int) {
        consumedBytes.add(bytes, ordering: .relaxed)
    }

    /// The application found the queue empty: wakes the leaders of `partitions` if enough was
    /// consumed since the last wake-up for the queue to have filled.
    func queueDrained(_ partitions: @autoclosure () -> [TopicPartition]) {
        guard consumedBytes.load(ordering: .relaxed) >= queueLimitBytes / 2 else { return }
        consumedBytes.store(0, ordering: .relaxed)
        nudge(partitions())
    }

    /// Asks for a wake-up of the leaders of `partitions` (a no-op while one is pending).
    private func nudge(_ partitions: [TopicPartition]) {
        let first = wanted.withLock { pending in
            defer { pending = partitions }
            return pending == nil
        }
        if first { signal.signal() }
    }

    /// Stops the thread after its current query (at most a second).
    func stop() {
        guard stopped.setOnce() else { return }
        signal.signal()
        finished.wait()
    }
}
