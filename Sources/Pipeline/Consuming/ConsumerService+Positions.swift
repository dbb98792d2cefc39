import Kafka

/// Where each assigned partition stands, and whether all are caught up with their logs.
extension ConsumerService {
    /// Next offset and log end of every assigned partition (no broker round trip).
    func positions(_ consumer: KafkaConsumer, _ book: OffsetBook) -> [TopicPartition: PartitionPosition] {
        consumer.assignment.reduce(into: [:]) { out, tp in
            out[tp] = PartitionPosition(next: book.next(tp), high: consumer.cachedWatermarks(tp)?.high)
        }
    }

    /// True when partitions are assigned and each is processed up to its high watermark.
    func caughtUp(_ consumer: KafkaConsumer, _ book: OffsetBook) throws -> Bool {
        let assignment = consumer.assignment
        guard !assignment.isEmpty else { return false }
        for tp in assignment {
            let marks = try consumer.cachedWatermarks(tp) ?? consumer.watermarks(tp)
            if (book.next(tp) ?? marks.low) < marks.high {
                logger.debug("not caught up: \(tp) next \(book.next(tp).map(String.init) ?? "none") of \(marks.low)..<\(marks.high)")
                return false
            }
        }
        return true
    }
}
