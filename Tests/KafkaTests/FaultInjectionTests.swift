import Foundation
import Kafka
import Testing

@Suite("Faults injected into the embedded broker")
struct FaultInjectionTests {
    @Test("a broker set down and up again loses and doubles nothing")
    func brokerDownAndUp() async throws {
        let cluster = try TestCluster(topics: ["t.outage": 3])
        let producer = try cluster.producer()
        for i in 0..<300 {
            try producer.produce(OutgoingMessage(topic: "t.outage", partition: .explicit(Int32(i % 3)), key: "k\(i)", value: "v\(i)"))
        }
        try producer.flush(timeoutMs: 30_000)

        try cluster.broker.setBrokerDown(1)
        // Messages produced while the only broker is down wait in the client's queue.
        for i in 300..<600 {
            try producer.produce(OutgoingMessage(topic: "t.outage", partition: .explicit(Int32(i % 3)), key: "k\(i)", value: "v\(i)"))
        }
        try await Task.sleep(for: .seconds(3))
        #expect(producer.statistics.inFlight > 0, "nothing can be delivered while the broker is down")
        try cluster.broker.setBrokerUp(1)
        try producer.close(timeoutMs: 60_000)
        let stats = producer.statistics
        #expect(stats.delivered == 600)
        #expect(stats.failed == 0)

        let consumer = try cluster.consumer(group: "g-outage")
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.outage"])
        var received = try poll(consumer, until: 300, seconds: 30)
        // Down again while consuming: the consumer waits and resumes where it was.
        try cluster.broker.setBrokerDown(1)
        received += try drain(consumer, seconds: 2)
        try cluster.broker.setBrokerUp(1)
        received += try poll(consumer, until: 600 - received.count, seconds: 60)
        received += try drain(consumer, seconds: 1)
        #expect(values(received).sorted() == (0..<600).map { "v\($0)" }.sorted(), "each message exactly once")
    }

    @Test("retriable produce errors are retried without duplicates")
    func retriableProduceErrors() throws {
        let cluster = try TestCluster(topics: ["t.retry": 1])
        let producer = try cluster.producer()
        // Warm up so the next requests are Produce requests on an established connection.
        try producer.produce(OutgoingMessage(topic: "t.retry", partition: .explicit(0), key: nil, value: "v0"))
        try producer.flush(timeoutMs: 10_000)
        cluster.broker.pushRequestErrors(api: .produce, errors: [
            KafkaErrorCode.notLeaderForPartition, KafkaErrorCode.requestTimedOut, KafkaErrorCode.notEnoughReplicas,
        ])
        for i in 1..<100 {
            try producer.produce(OutgoingMessage(topic: "t.retry", partition: .explicit(0), key: nil, value: "v\(i)"))
        }
        try producer.close(timeoutMs: 60_000)
        #expect(producer.statistics.delivered == 100)
        #expect(producer.statistics.failed == 0)

        let consumer = try cluster.consumer(group: "g-retry")
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.retry"])
        let received = try poll(consumer, until: 100) + drain(consumer, seconds: 1)
        #expect(values(received).sorted() == (0..<100).map { "v\($0)" }.sorted())
    }

    @Test("a permanent produce error surfaces as a delivery error")
    func permanentProduceError() async throws {
        let cluster = try TestCluster(topics: ["t.reject": 1])
        let producer = try cluster.producer { $0.idempotent = false }
        _ = try await producer.send(OutgoingMessage(topic: "t.reject", partition: .explicit(0), key: nil, value: "ok"))
        cluster.broker.pushRequestErrors(api: .produce, errors: [KafkaErrorCode.messageTooLarge])
        await #expect(throws: KafkaError.self) {
            _ = try await producer.send(OutgoingMessage(topic: "t.reject", partition: .explicit(0), key: nil, value: "refused"))
        }
        let stats = producer.statistics
        #expect(stats.failed == 1)
        #expect(stats.firstFailure?.code == KafkaErrorCode.messageTooLarge)
        #expect(stats.firstFailure?.message.contains("t.reject/0") == true)
        try producer.close()
    }

    @Test("an unknown partition is refused at once, not dropped")
    func unknownPartition() throws {
        let cluster = try TestCluster(topics: ["t.small": 2])
        let producer = try cluster.producer()
        _ = try producer.partitionCount(topic: "t.small")
        // librdkafka knows the topic's partition count once metadata arrived.
        var refused = false
        for _ in 0..<50 where !refused {
            do {
                try producer.produce(OutgoingMessage(topic: "t.small", partition: .explicit(7), key: nil, value: "x"))
                try producer.flush(timeoutMs: 10_000)
            } catch {
                refused = true
            }
        }
        #expect(refused)
        #expect(producer.statistics.delivered == 0)
        try? producer.close(timeoutMs: 1_000)
    }
}
