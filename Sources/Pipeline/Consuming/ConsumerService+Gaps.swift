import Kafka
import State

/// Where the consumer stands against the log when it is not where the state file says: a
/// batch to read again (rewind), an offset out of range, gaps stopped on or accepted.
extension ConsumerService {
    /// Restarts every assigned partition at the state file's offset: the messages of a batch
    /// that was not written are read again. A re-assignment rather than a seek, because it also
    /// restarts a partition whose fetching stopped on an error.
    func rewind(_ consumer: KafkaConsumer, _ book: OffsetBook) throws {
        let assigned = consumer.assignment
        guard !assigned.isEmpty else { return }
        try consumer.restartAssignment(at: book.startOffsets(for: assigned))
    }

    /// Stops with ``OffsetGapError``, or with `acceptGap` records the gap and moves on.
    func handleOutOfRange(_ error: KafkaError, consumer: KafkaConsumer, session: StateSession?, book: OffsetBook) throws {
        guard let tp = error.topicPartition else { throw error }
        let marks = try consumer.watermarks(tp)
        let stored = book.next(tp) ?? error.offset ?? 0
        if (marks.low...marks.high).contains(stored) {
            // Reported for a position left behind already (a gap accepted meanwhile): the
            // stored offset is within the log, so restart there.
            try rewind(consumer, book)
            return
        }
        let gap = OffsetGapError(partition: tp, storedOffset: stored, logStart: marks.low, logEnd: marks.high)
        guard let session else { throw gap }
        try handleGaps([gap], consumer: consumer, session: session, book: book)
    }

    /// Stored offsets outside the log (below its start, or beyond its end): throws the first
    /// gap, or with `acceptGap` records each with its new start (the log start) in one
    /// transaction and restarts there.
    func handleGaps(_ gaps: [OffsetGapError], consumer: KafkaConsumer, session: StateSession, book: OffsetBook) throws {
        guard options.acceptGap else {
            if gaps.count > 1 { logger.error("\(gaps.count) partitions have stored offsets outside their logs: \(gaps.map(\.partition.description).joined(separator: ", "))") }
            throw gaps[0]
        }
        try session.acceptGaps(gaps.map {
            AcceptedGap(topic: $0.partition.topic, partition: $0.partition.partition, fromOffset: $0.storedOffset, toOffset: $0.logStart, logEnd: $0.logEnd)
        })
        book.reset(to: try session.storedOffsets())
        for gap in gaps {
            logger.warning("\(gap.partition): accepted a gap (--accept-gap): the state file's next offset was \(gap.storedOffset), the log holds \(gap.logStart)..<\(gap.logEnd); recorded in the state file, continuing from \(gap.logStart)")
        }
        // Fetching of those partitions stopped on the error, or sits beyond the log end.
        try rewind(consumer, book)
    }
}
