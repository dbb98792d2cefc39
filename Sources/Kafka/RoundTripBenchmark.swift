import Foundation
import Logging

/// Produces N equally sized messages to a topic and reads them back with a consumer group,
/// timing both halves: the figures `emr bench kafka` prints.
public struct RoundTripBenchmark: Sendable {
    public struct Result: Sendable {
        public var messages: Int
        public var messageBytes: Int
        public var produceSeconds: Double
        public var consumeSeconds: Double
        public var consumed: Int

        public var produceRate: Double { Double(messages) / produceSeconds }
        public var consumeRate: Double { Double(consumed) / consumeSeconds }
        public var produceMiBPerSecond: Double { produceRate * Double(messageBytes) / 1_048_576 }
        public var consumeMiBPerSecond: Double { consumeRate * Double(messageBytes) / 1_048_576 }
    }

    public var kafka: KafkaConfiguration
    public var topic: String
    public var messages: Int
    public var messageBytes: Int

    public init(kafka: KafkaConfiguration, topic: String, messages: Int, messageBytes: Int) {
        self.kafka = kafka
        self.topic = topic
        self.messages = messages
        self.messageBytes = messageBytes
    }

    /// Runs both halves; `progress` gets a line per phase.
    public func run(logger: Logger, progress: (String) -> Void) throws(KafkaError) -> Result {
        let payload = [UInt8](repeating: UInt8(ascii: "x"), count: messageBytes)
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        let admin = try KafkaAdmin(configuration: kafka, logger: logger)
        let partitions = try producer.partitionCount(topic: topic)
        let tps = (0..<partitions).map { TopicPartition(topic, $0) }
        // Read back exactly this run's messages: from each partition's end before producing.
        var starts: [TopicPartition: Int64] = [:]
        for tp in tps { starts[tp] = try admin.watermarks(tp).high }

        let produceStart = ContinuousClock.now
        for i in 0..<messages {
            try producer.produce(OutgoingMessage(topic: topic, partition: .explicit(Int32(i % Int(partitions))), key: nil, value: payload))
        }
        try producer.close(timeoutMs: 120_000)
        let produceSeconds = (ContinuousClock.now - produceStart).seconds
        let stats = producer.statistics
        if stats.failed > 0 {
            throw stats.firstFailure ?? KafkaError(.delivery, message: "\(stats.failed) message(s) not delivered")
        }
        progress("produced \(messages) messages in \(String(format: "%.2f", produceSeconds)) s")

        var config = ConsumerConfiguration(kafka: kafka, groupID: "emr-bench-\(UUID().uuidString)")
        config.autoOffsetReset = "latest"
        let expected = messages
        let startOffsets = starts
        let hooks = RebalanceHooks(onAssign: { _ in startOffsets })
        let reader = try KafkaConsumer(configuration: config, logger: logger, hooks: hooks)
        defer { reader.close() }
        try reader.subscribe(topics: [topic])
        let (consumed, consumeSeconds) = try reader.readCount(expected, within: .seconds(120))
        progress("consumed \(consumed) messages in \(String(format: "%.2f", consumeSeconds)) s")
        return Result(messages: messages, messageBytes: messageBytes, produceSeconds: produceSeconds,
                      consumeSeconds: consumeSeconds, consumed: consumed)
    }
}

extension KafkaConsumer {
    /// Polls until `expected` messages arrived or `limit` passed, applying nothing; returns the
    /// count and the seconds from the first message to the last (a raw read rate).
    public func readCount(_ expected: Int, within limit: Duration) throws(KafkaError) -> (count: Int, seconds: Double) {
        var count = 0
        var first: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + limit
        while count < expected && ContinuousClock.now < deadline {
            let batch = try poll(maxMessages: 10_000, timeoutMs: 500)
            if first == nil && !batch.isEmpty { first = .now }
            count += batch.count
        }
        return (count, first.map { (ContinuousClock.now - $0).seconds } ?? 0)
    }
}

extension Duration {
    /// The duration in seconds as a floating-point number.
    public var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
