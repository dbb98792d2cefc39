import Foundation
import Kafka
import Logging
import Testing

/// An embedded cluster for one test, reached over loopback TCP like any Kafka cluster.
struct TestCluster {
    let broker: EmbeddedBroker
    let kafka: KafkaConfiguration

    init(brokers: Int32 = 1, topics: [String: Int32]) throws {
        broker = try EmbeddedBroker(brokers: brokers, logger: testLogger("broker"))
        for (name, partitions) in topics {
            try broker.createTopic(name, partitions: partitions, replicationFactor: brokers)
        }
        kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
    }

    func producer(_ configure: (inout ProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var config = ProducerConfiguration(kafka: kafka)
        configure(&config)
        return try KafkaProducer(configuration: config, logger: testLogger("producer"))
    }

    func consumer(group: String, hooks: RebalanceHooks = RebalanceHooks(), _ configure: (inout ConsumerConfiguration) -> Void = { _ in }) throws -> KafkaConsumer {
        var config = ConsumerConfiguration(kafka: kafka, groupID: group)
        config.sessionTimeoutMs = 6_000
        configure(&config)
        return try KafkaConsumer(configuration: config, logger: testLogger("consumer"), hooks: hooks)
    }
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: "test.\(label)")
    logger.logLevel = ProcessInfo.processInfo.environment["EMR_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
    return logger
}

/// Polls until `count` messages arrived or `seconds` passed.
func poll(_ consumer: KafkaConsumer, until count: Int, seconds: Double = 30) throws -> [ConsumedMessage] {
    var messages: [ConsumedMessage] = []
    let deadline = Date().addingTimeInterval(seconds)
    while messages.count < count && Date() < deadline {
        messages += try consumer.poll(maxMessages: 1_000, timeoutMs: 200)
    }
    return messages
}

/// Polls for a while and returns whatever arrives (to prove that nothing more comes).
func drain(_ consumer: KafkaConsumer, seconds: Double) throws -> [ConsumedMessage] {
    var messages: [ConsumedMessage] = []
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        messages += try consumer.poll(maxMessages: 1_000, timeoutMs: 100)
    }
    return messages
}

/// Values of the messages as text, for comparing multisets.
func values(_ messages: [ConsumedMessage]) -> [String] {
    messages.map { $0.valueString ?? "<null>" }
}
