package io.kuberaft.apiserver.table;

import io.kuberaft.apiserver.table.TableConvertor.Column;

/** Column definitions shared by many kinds, with upstream's names, types and descriptions. */
final class Columns {
    private Columns() {
    }

    static final String CONTAINERS_DOC = "Names of each container in the template.";
    static final String IMAGES_DOC = "Images referenced by each container in the template.";

    /** The first column of nearly every kind; {@code format: name} tells kubectl it holds the name. */
    static final Column NAME = new Column("Name", "string", "name", SwaggerDocs.OBJECT_META_NAME, 0);
    static final Column AGE = Column.of("Age", "string", SwaggerDocs.OBJECT_META_CREATION_TIMESTAMP);
    /** What upstream's default table convertor prints for kinds without a printer (roles, limitranges, CRDs). */
    static final Column CREATED_AT = Column.of("Created At", "date", SwaggerDocs.OBJECT_META_CREATION_TIMESTAMP);
    static final Column CONTAINERS_WIDE = Column.wide("Containers", "string", CONTAINERS_DOC);
    static final Column IMAGES_WIDE = Column.wide("Images", "string", IMAGES_DOC);

    static Column col(String name, String type, String description) {
        return Column.of(name, type, description);
    }

    static Column wide(String name, String type, String description) {
        return Column.wide(name, type, description);
    }
}
