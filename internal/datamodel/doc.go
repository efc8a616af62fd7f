// Package datamodel describes a user's relational data model — entities,
// typed attributes, links between entities and targeting dimensions — and
// reads and writes the model document described in docs/data-model.md.
//
// Parse reads a YAML or JSON document, checks it and resolves reverse links;
// Document writes a model back as canonical YAML. Both keep the declaration
// order of entities, attributes and links, which is also the column order of
// the tables the schema package creates.
package datamodel
