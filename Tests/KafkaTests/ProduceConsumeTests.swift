import Foundation
import Kafka
import Testing

@Suite("Producer and consumer over TCP against the embedded broker")
struct ProduceConsumeTests {
    @Test("messages keep key, value, headers and their explicit partition")
    func headersAndExplicitPartitions() async throws {
        let cluster = try TestCluster(topics: ["t.headers": 4])
        let producer = try cluster.producer()
        var sent: [String: (partition: Int32, headers: [KafkaHeader])] = [:]
        for i in 0..<40 {
            let partition = Int32(i % 4)
            let headers = [
                KafkaHeader("ce_id", "id-\(i)"),
                KafkaHeader("ce_type", "patients"),
                KafkaHeader("binary", [0, 255, UInt8(i)]),
                KafkaHeader("null-header", nil),
            ]
            let report = try await producer.send(OutgoingMessage(
                topic: "t.headers", partition: .explicit(partition), key: "key-\(i)", value: "{\"n\":\(i)}", headers: headers))
            #expect(report.partition == partition)
            #expect(report.offset >= 0)
            sent["key-\(i)"] = (partition, headers)
        }
        try producer.close()
        #expect(producer.statistics.delivered == 40)

        let consumer = try cluster.consumer(group: "g-headers")
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.headers"])
        let received = try poll(consumer, until: 40)
        #expect(received.count == 40)
        for message in received {
            let key = try #require(message.keyString)
            let expected = try #require(sent[key], "unexpected key \(key)")
            #expect(message.partition == expected.partition)
            #expect(message.headers == expected.headers)
            #expect(message.valueString == "{\"n\":\(key.dropFirst(4))}")
            #expect(message.timestampMs != nil)
        }
        #expect(Set(received.compactMap(\.keyString)).count == 40)
    }

    @Test("hashing by bytes puts equal hashes in one partition, as Java's partitioner would")
    func hashedPartitioning() throws {
        let cluster = try TestCluster(topics: ["t.hash": 6])
        let producer = try cluster.producer()
        let patients = (0..<20).map { "patient-\($0)" }
        for (i, patient) in patients.enumerated() {
            for record in 0..<3 {
                try producer.produce(OutgoingMessage(topic: "t.hash", partition: .byHash(Array(patient.utf8)),
                                                     key: "enc-\(i)-\(record)", value: patient))
            }
        }
        try producer.close()
        let consumer = try cluster.consumer(group: "g-hash")
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.hash"])
        let received = try poll(consumer, until: 60)
        #expect(received.count == 60)
        for message in received {
            let patient = try #require(message.valueString)
            #expect(message.partition == Murmur2.partition(for: Array(patient.utf8), partitionCount: 6))
        }
        #expect(Set(received.map(\.partition)).count > 1, "20 patients should spread over several partitions")
    }

    @Test("co-partitioned topics stay together: each member owns the same partition numbers of both topics")
    func coPartitionedAssignment() throws {
        let cluster = try TestCluster(topics: ["t.left": 6, "t.right": 6, "t.small": 2])
        let members = try (0..<4).map { _ in try cluster.consumer(group: "g-copartitioned") }
        defer { for member in members { member.close() } }
        for member in members { try member.subscribe(topics: ["t.left", "t.right", "t.small"]) }
        let deadline = Date().addingTimeInterval(45)
        while Date() < deadline && (members.reduce(0) { $0 + $1.assignment.count } < 14 || members.contains { $0.assignment.isEmpty }) {
            for member in members { _ = try member.poll(maxMessages: 100, timeoutMs: 100) }
        }
        let owned = members.map { Dictionary(grouping: $0.assignment, by: \.topic).mapValues { Set($0.map(\.partition)) } }
        #expect(owned.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } == 14, "every partition assigned once: \(owned)")
        for (index, topics) in owned.enumerated() {
            #expect(topics["t.left"] == topics["t.right"], "member \(index) owns left \(topics["t.left"] ?? []) but right \(topics["t.right"] ?? [])")
        }
    }

    @Test("two consumers in one group split the partitions and read every message once")
    func groupSplitsPartitions() throws {
        let cluster = try TestCluster(topics: ["t.group": 4])
        let first = try cluster.consumer(group: "g-split")
        let second = try cluster.consumer(group: "g-split")
        defer { first.close(); second.close() }
        try first.subscribe(topics: ["t.group"])
        try second.subscribe(topics: ["t.group"])
        var received: [ConsumedMessage] = []
        let deadline = Date().addingTimeInterval(45)
        // The group forms first (no offsets are committed here, so a partition that moved after
        // being read would be read again by its new owner: that is not what this test is about).
        while Date() < deadline && (first.assignment.isEmpty || second.assignment.isEmpty) {
            for consumer in [first, second] { received += try consumer.poll(maxMessages: 100, timeoutMs: 100) }
        }
        let producer = try cluster.producer()
        for i in 0..<400 {
            try producer.produce(OutgoingMessage(topic: "t.group", partition: .explicit(Int32(i % 4)), key: "k\(i)", value: "v\(i)"))
        }
        try producer.close()
        while Date() < deadline && received.count < 400 {
            for consumer in [first, second] { received += try consumer.poll(maxMessages: 100, timeoutMs: 100) }
        }
        for consumer in [first, second] { received += try consumer.poll(maxMessages: 100, timeoutMs: 300) }
        let a = Set(first.assignment.map(\.partition))
        let b = Set(second.assignment.map(\.partition))
        #expect(!a.isEmpty && !b.isEmpty, "both members must own partitions: \(a) \(b)")
        #expect(a.isDisjoint(with: b))
        #expect(a.union(b) == [0, 1, 2, 3])
        #expect(values(received).sorted() == (0..<400).map { "v\($0)" }.sorted(), "every message exactly once")
    }

    @Test("committed offsets survive a consumer restart")
    func committedOffsetsSurviveRestart() throws {
        let cluster = try TestCluster(topics: ["t.restart": 2])
        let producer = try cluster.producer()
        for i in 0..<200 {
            try producer.produce(OutgoingMessage(topic: "t.restart", partition: .explicit(Int32(i % 2)), key: nil, value: "v\(i)"))
        }
        try producer.close()

        var firstRun: [ConsumedMessage] = []
        do {
            let consumer = try cluster.consumer(group: "g-restart")
            try consumer.subscribe(topics: ["t.restart"])
            let deadline = Date().addingTimeInterval(60)
            while firstRun.count < 80 && Date() < deadline {
                let batch = try consumer.poll(maxMessages: 80 - firstRun.count, timeoutMs: 500)
                firstRun += batch
            }
            #expect(firstRun.count == 80, "read \(firstRun.count) of 80 within 60 s")
            var next: [TopicPartition: Int64] = [:]
            for m in firstRun { next[m.topicPartition] = max(next[m.topicPartition] ?? 0, m.offset + 1) }
            try consumer.commit(next)
            #expect(try consumer.committed(Array(next.keys)) == next)
            consumer.close()
        }
        let restarted = try cluster.consumer(group: "g-restart")
        defer { restarted.close() }
        try restarted.subscribe(topics: ["t.restart"])
        let secondRun = try poll(restarted, until: 120)
        let extra = try drain(restarted, seconds: 1)
        #expect(firstRun.count == 80)
        #expect(secondRun.count + extra.count == 120)
        #expect((values(firstRun) + values(secondRun) + values(extra)).sorted() == (0..<200).map { "v\($0)" }.sorted())
    }

    @Test("start offsets supplied by the assignment hook win over committed ones")
    func hookSuppliedOffsets() throws {
        let cluster = try TestCluster(topics: ["t.seek": 1])
        let producer = try cluster.producer()
        for i in 0..<50 {
            try producer.produce(OutgoingMessage(topic: "t.seek", partition: .explicit(0), key: nil, value: "v\(i)"))
        }
        try producer.close()
        let tp = TopicPartition("t.seek", 0)
        let consumer = try cluster.consumer(group: "g-seek", hooks: RebalanceHooks(onAssign: { _ in [tp: 30] }))
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.seek"])
        let received = try poll(consumer, until: 20)
        #expect(received.first?.offset == 30)
        #expect(values(received) == (30..<50).map { "v\($0)" })
        try consumer.seek([tp: 45])
        let again = try poll(consumer, until: 5)
        #expect(values(again) == (45..<50).map { "v\($0)" })
        let marks = try consumer.watermarks(tp)
        #expect(marks.low == 0 && marks.high == 50)
    }

    /// librdkafka 2.0 stops fetching while its queue is full and, left alone, looks again only a
    /// second later; the consumer wakes its fetchers once it drained the queue (``FetchNudger``).
    /// Through a 16 KiB queue, 1.5 MiB of messages in record batches of 20 KiB take about 75
    /// fetches, each filling the queue: over a minute at one a second (746 of the 1,500 read in
    /// 40 s without the nudge), a few seconds when woken. The bound (40 s) is a stall check with
    /// a wide margin, not a speed measurement.
    @Test("a consumer whose queue holds a few messages keeps fetching, without waiting a second per fetch")
    func smallQueueKeepsFetching() throws {
        let cluster = try TestCluster(topics: ["t.small-queue": 1])
        // Record batches of up to 20 KiB: the embedded broker answers a fetch with whole batches,
        // so each fetch fills the 16 KiB queue.
        let producer = try cluster.producer { $0.kafka.properties["batch.size"] = String(20 << 10) }
        let body = String(repeating: "x", count: 1_000)
        for i in 0..<1_500 {
            try producer.produce(OutgoingMessage(topic: "t.small-queue", partition: .explicit(0), key: "k\(i)", value: "\(i) \(body)"))
        }
        try producer.close()
        let consumer = try cluster.consumer(group: "g-small-queue") { config in
            config.queuedMaxKilobytes = 16
            config.fetchMaxBytes = 16 << 10
            config.kafka.properties["message.max.bytes"] = String(16 << 10)
        }
        defer { consumer.close() }
        try consumer.subscribe(topics: ["t.small-queue"])
        let started = Date()
        let received = try poll(consumer, until: 1_500, seconds: 40)
        #expect(received.count == 1_500, "read \(received.count) of 1500 in \(Date().timeIntervalSince(started)) s")
        #expect(Set(received.compactMap(\.keyString)).count == 1_500)
    }
}
