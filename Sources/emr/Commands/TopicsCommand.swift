import ArgumentParser
import Foundation
import Kafka

/// `emr topics`: topics as code.
struct TopicsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topics",
        abstract: "Create, check or list the topics declared under topics/.",
        subcommands: [Apply.self, Verify.self, List.self]
    )

    /// `emr topics apply`
    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create missing declared topics (CreateTopics) and verify all of them.",
            discussion: """
                The replication factor is capped at the number of brokers. Existing topics are not \
                altered: a partition-count mismatch is reported and the command exits 1. Against the \
                embedded broker (no CreateTopics) it verifies only, since `emr broker` created them.

                Examples:
                  emr topics apply --brokers kafka:9092
                  emr topics apply --brokers $(cat /tmp/emr.bootstrap)
                """
        )
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topics: TopicsDirectoryOption
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            let admin = try KafkaAdmin(configuration: try kafka.configuration(), logger: logging.makeLogger("emr.topics"))
            try TopicReport.print(try admin.apply(try topics.catalog()))
        }
    }

    /// `emr topics verify`
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every declared topic exists with its declared partition count.",
            discussion: "Example:\n  emr topics verify --brokers localhost:9092"
        )
        @OptionGroup var kafka: KafkaOptions
        @OptionGroup var topics: TopicsDirectoryOption
        @OptionGroup var logging: LoggingOptions

        func run() throws {
            let admin = try KafkaAdmin(configuration: try kafka.configuration(), logger: logging.makeLogger("emr.topics"))
            try TopicReport.print(try admin.verify(try topics.catalog()))
        }
    }

    /// `emr topics list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the declared topics (no broker needed).",
            discussion: "Example:\n  emr topics list --topics topics"
        )
        @OptionGroup var topics: TopicsDirectoryOption

        func run() throws {
            for topic in try topics.catalog().topics {
                let configs = topic.configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                print("\(topic.name)\t\(topic.role.rawValue)\t\(topic.entity ?? "-")\tpartitions=\(topic.partitions)\treplication=\(topic.replicationFactor)\t\(configs)")
            }
        }
    }
}

/// Prints one line per topic and fails when any is missing or mismatched.
enum TopicReport {
    static func print(_ results: [TopicApplyResult]) throws {
        var bad = 0
        for result in results {
            switch result.outcome {
            case .created: Swift.print("\(result.topic): created")
            case .alreadyMatching: Swift.print("\(result.topic): ok")
            case .mismatch(let actual):
                bad += 1
                Swift.print("\(result.topic): MISMATCH: cluster has \(actual) partitions")
            case .missing:
                bad += 1
                Swift.print("\(result.topic): MISSING")
            }
        }
        if bad > 0 { throw RuntimeFailure("\(bad) declared topic(s) missing or different in the cluster") }
    }
}
