import Kafka
@testable import Pipeline
import Synthea
import TestSupport
import Testing

/// A batch's extent (its log lines) names every partition it read with the lowest and highest
/// offset, over all its pieces, however the partitions interleave.
@Suite("Batch extent")
struct BatchExtentTests {
    @Test("count and offset ranges over several pieces equal a message-by-message computation")
    func rangesOverPieces() {
        let (seed, context) = testSeed()
        var random = SeededRandom(seed: seed)
        var extent = BatchExtent([])
        var expected: [TopicPartition: (Int64, Int64)] = [:]
        var total = 0
        for _ in 0..<5 {
            // Runs of one partition, as a poll returns them, and some single interleaved messages.
            var piece: [ConsumedMessage] = []
            for _ in 0..<random.int(0...12) {
                let topic = random.pick(["emr.raw.encounters", "emr.raw.patients"]), partition = Int32(random.int(0...3))
                var offset = Int64(random.int(0...1_000))
                for _ in 0..<random.int(1...6) {
                    piece.append(ConsumedMessage(topic: topic, partition: partition, offset: offset, key: nil, value: nil, headers: [], timestampMs: nil))
                    let tp = TopicPartition(topic, partition), known = expected[tp]
                    expected[tp] = (min(known?.0 ?? offset, offset), max(known?.1 ?? offset, offset))
                    offset += Int64(random.int(-2...5))
                }
            }
            total += piece.count
            extent.add(piece)
        }
        let described = expected.keys.sorted().map { "\($0)@\(expected[$0]!.0)..\(expected[$0]!.1)" }.joined(separator: ", ")
        #expect(extent.count == total, "\(context)")
        #expect(extent.description == described, "\(context)")
        #expect(total > 0, "\(context): the pieces were all empty")
    }
}
