import Foundation
import Kafka
import Logging

/// Publishes dead letters and waits until the broker has every one of them (acks=all,
/// idempotent producer). The consumer calls it inside the batch's transaction, before COMMIT:
/// a crash in between republishes the batch's dead letters on restart (at least once, never
/// lost); the duplicates carry the same context headers.
public final class DeadLetterPublisher {
    public let topic: String
    public let consumerGroup: String
    private let producer: KafkaProducer
    private let timeoutMs: Int32
    private let serial = NSLock()

    public init(kafka: KafkaConfiguration, topic: String, consumerGroup: String, logger: Logger, timeoutMs: Int32 = 30_000) throws(KafkaError) {
        var configuration = ProducerConfiguration(kafka: kafka)
        configuration.clientID = "emr-deadletter"
        configuration.lingerMs = 0
        // Give up on a message well before the batch's retry would; the batch is retried whole.
        configuration.messageTimeoutMs = Int(timeoutMs)
        self.producer = try KafkaProducer(configuration: configuration, logger: logger)
        self.topic = topic
        self.consumerGroup = consumerGroup
        self.timeoutMs = timeoutMs
    }

    /// Publishes the letters and returns once all are acknowledged; throws if any is not.
    public func publish(_ letters: [DeadLetter]) throws(KafkaError) {
        guard !letters.isEmpty else { return }
        // One publish at a time (tasks applied in parallel share this producer): the failure
        // count below must be this publish's own.
        serial.lock()
        defer { serial.unlock() }
        let before = producer.statistics.failed
        for letter in letters {
            try producer.produce(letter.message(topic: topic, consumerGroup: consumerGroup))
        }
        try producer.flush(timeoutMs: timeoutMs + 5_000)
        let after = producer.statistics
        if after.failed > before {
            throw KafkaError(.delivery, code: after.firstFailure?.code ?? 0,
                             message: "\(after.failed - before) dead letter(s) to \(topic) not delivered (\(after.firstFailure?.message ?? "no report"))")
        }
    }

    /// Waits for anything in flight, then stops the producer.
    public func close() {
        try? producer.close(timeoutMs: 5_000)
    }
}
