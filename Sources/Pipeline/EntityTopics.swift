import Kafka
import Synthea

/// The raw topic of every entity, from the declarations under `topics/`.
enum EntityTopics {
    /// Refuses a declaration naming an unknown entity and an entity with no raw topic.
    static func load(_ catalog: TopicCatalog) throws -> [Entity: String] {
        var topics: [Entity: String] = [:]
        for (entityName, declaration) in catalog.rawTopicsByEntity {
            guard let entity = Entity(rawValue: entityName) else {
                throw PipelineError.unknownEntity(file: declaration.file, entity: entityName)
            }
            topics[entity] = declaration.name
        }
        for entity in Entity.allCases where topics[entity] == nil {
            throw PipelineError.noRawTopic(entity: entity.rawValue)
        }
        return topics
    }
}
