import CRdKafka
import Logging
import Synchronization

/// What the application does when the group hands it partitions or takes them away.
/// Both run on the thread that called ``KafkaConsumer/poll(maxMessages:timeoutMs:)``, between
/// batches, so the application has committed everything it processed before `onRevoke` runs.
public struct RebalanceHooks: Sendable {
    /// Returns the offset to start each partition from; a partition left out starts from the
    /// group's committed offset (else `auto.offset.reset`). A thrown error assigns nothing and
    /// is rethrown by the next poll.
    public var onAssign: @Sendable ([TopicPartition]) throws -> [TopicPartition: Int64]
    /// Partitions taken away. `lost` is true when they were lost (session timeout) rather than
    /// handed over cleanly.
    public var onRevoke: @Sendable (_ partitions: [TopicPartition], _ lost: Bool) -> Void

    public init(
        onAssign: @escaping @Sendable ([TopicPartition]) throws -> [TopicPartition: Int64] = { _ in [:] },
        onRevoke: @escaping @Sendable ([TopicPartition], Bool) -> Void = { _, _ in }
    ) {
        self.onAssign = onAssign
        self.onRevoke = onRevoke
    }
}

/// Serves librdkafka's rebalance callback with the application's hooks and keeps the current
/// assignment.
final class RebalanceCoordinator: Sendable {
    private let hooks: RebalanceHooks
    private let logger: Logger
    private let state = Mutex(State())

    struct State {
        var assignment: Set<TopicPartition> = []
        var revokedDuringPoll: Set<TopicPartition> = []
        var pendingError: KafkaError?
    }

    init(hooks: RebalanceHooks, logger: Logger) {
        self.hooks = hooks
        self.logger = logger
    }

    var assignment: [TopicPartition] { state.withLock { $0.assignment.sorted() } }

    /// Partitions revoked since the last call, and an error a hook raised, both cleared.
    func takeEvents() -> (revoked: Set<TopicPartition>, error: KafkaError?) {
        state.withLock { s in
            defer { s.revokedDuringPoll = []; s.pendingError = nil }
            return (s.revokedDuringPoll, s.pendingError)
        }
    }

    func handle(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: TopicPartitionList.Native?) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let partitions = TopicPartitionList.read(list).map(\.0)
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            assign(rk, partitions, list: list, cooperative: cooperative)
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            logger.info("partitions revoked\(lost ? " (lost)" : ""): \(partitions.map(\.description).joined(separator: ", "))")
            hooks.onRevoke(partitions, lost)
            if cooperative {
                applyAssignment(rk, rd_kafka_incremental_unassign(rk, list), "unassign")
            } else {
                applyAssignment(rk, rd_kafka_assign(rk, nil), "unassign")
            }
            state.withLock {
                $0.assignment.subtract(partitions)
                $0.revokedDuringPoll.formUnion(partitions)
            }
        default:
            let error = KafkaError(.consumer, err, "rebalance failed")
            logger.error("\(error.message)")
            applyAssignment(rk, rd_kafka_assign(rk, nil), "unassign")
            state.withLock {
                $0.revokedDuringPoll.formUnion($0.assignment)
                $0.assignment = []
                $0.pendingError = error
            }
        }
    }

    private func assign(_ rk: OpaquePointer, _ partitions: [TopicPartition], list: TopicPartitionList.Native?, cooperative: Bool) {
        let offsets: [TopicPartition: Int64]
        do {
            offsets = try hooks.onAssign(partitions)
        } catch {
            let failure = error as? KafkaError ?? KafkaError(.consumer, message: "assignment hook failed: \(error)")
            logger.error("\(failure.message)")
            state.withLock { $0.pendingError = failure }
            if !cooperative { applyAssignment(rk, rd_kafka_assign(rk, nil), "unassign") }
            return
        }
        if let list {
            for i in 0..<Int(list.pointee.cnt) {
                let tp = TopicPartition(String(cString: list.pointee.elems[i].topic), list.pointee.elems[i].partition)
                list.pointee.elems[i].offset = offsets[tp] ?? KafkaOffset.stored
            }
        }
        logger.info("partitions assigned: \(partitions.map { "\($0)@\(offsets[$0].map(String.init) ?? "committed")" }.joined(separator: ", "))")
        if cooperative {
            applyAssignment(rk, rd_kafka_incremental_assign(rk, list), "assign")
        } else {
            applyAssignment(rk, rd_kafka_assign(rk, list), "assign")
        }
        state.withLock { $0.assignment.formUnion(partitions) }
    }

    /// Replaces the read position of every owned partition (outside a rebalance): the only way
    /// to restart a partition whose fetching stopped on an error (a seek needs it fetching).
    func reassign(_ rk: OpaquePointer, _ offsets: [TopicPartition: Int64]) throws(KafkaError) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        try TopicPartitionList.with(offsets.map { ($0.key, $0.value) }) { list throws(KafkaError) in
            if cooperative {
                for (step, error) in [("unassign", rd_kafka_incremental_unassign(rk, list)), ("assign", rd_kafka_incremental_assign(rk, list))] {
                    guard let error else { continue }
                    defer { rd_kafka_error_destroy(error) }
                    throw KafkaError(.consumer, rd_kafka_error_code(error), "re-\(step) failed: \(String(cString: rd_kafka_error_string(error)))")
                }
            } else {
                let err = rd_kafka_assign(rk, list)
                if err.isError { throw KafkaError(.consumer, err, "re-assign failed") }
            }
        }
    }

    private func applyAssignment(_ rk: OpaquePointer, _ error: OpaquePointer?, _ what: String) {
        guard let error else { return }
        defer { rd_kafka_error_destroy(error) }
        let failure = KafkaError(.consumer, rd_kafka_error_code(error), "\(what) failed: \(String(cString: rd_kafka_error_string(error)))")
        logger.error("\(failure.message)")
        state.withLock { $0.pendingError = failure }
    }

    private func applyAssignment(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ what: String) {
        guard err.isError else { return }
        let failure = KafkaError(.consumer, err, "\(what) failed")
        logger.error("\(failure.message)")
        state.withLock { $0.pendingError = failure }
    }
}
