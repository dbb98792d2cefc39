/// Why the producers or the consumer cannot run: each case names what to fix.
public enum PipelineError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A topic declaration names an entity the pipeline does not know.
    case unknownEntity(file: String, entity: String)
    /// No raw topic is declared for an entity.
    case noRawTopic(entity: String)
    /// No topic with `role=deadletter` is declared.
    case noDeadLetterTopic
    /// `--facility` names organizations that are not in the export.
    case unknownFacilities(file: String, ids: [String])
    /// With `--exit-when-caught-up`: no broker answered within the connect timeout.
    case noBrokerAnswered(seconds: Int, bootstrapServers: String)
    /// The patient-scoped raw topics have different partition counts in the cluster (topic,
    /// count), so one patient's records would not share a partition number.
    case notCoPartitioned([PartitionCount])

    /// A topic's partition count in the cluster.
    public struct PartitionCount: Sendable, Equatable {
        public var topic: String
        public var partitions: Int32
        public init(topic: String, partitions: Int32) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var description: String {
        switch self {
        case .unknownEntity(let file, let entity): "\(file): unknown entity '\(entity)'"
        case .noRawTopic(let entity): "no raw topic declared for \(entity)"
        case .noDeadLetterTopic: "no dead-letter topic declared (a file under topics/ with role=deadletter)"
        case .unknownFacilities(let file, let ids): "\(file): no organization with Id \(ids.joined(separator: ", "))"
        case .noBrokerAnswered(let seconds, let servers):
            "no broker answered within \(seconds) s (bootstrap servers: \(servers)); check --brokers / EMR_BROKERS (or raise --connect-timeout)"
        case .notCoPartitioned(let counts):
            "the patient-scoped topics must have one partition count (the records of a patient share a partition number), but the cluster has "
                + counts.map { "\($0.topic) \($0.partitions)" }.joined(separator: ", ")
                + "; give them one count (topics/ declares it) and republish"
        }
    }
}
