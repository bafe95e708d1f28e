package io.shopevents;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * Packages only look down: the HTTP edge and the operators' tools on top, then the steps a
 * subscription runs (processors, webhooks), the subscription machinery, the broker and the store,
 * and the event model at the bottom; tracing (trace and correlation ids) beside everything. An
 * error a lower layer raises is its own, translated into an answer at the edge.
 */
@AnalyzeClasses(packages = "io.shopevents", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("Edge").definedBy("io.shopevents", "io.shopevents.api..", "io.shopevents.security..",
                    "io.shopevents.routes..", "io.shopevents.archive..", "io.shopevents.deadletters..",
                    "io.shopevents.operations..")
            .layer("Steps").definedBy("io.shopevents.processor..", "io.shopevents.webhook..")
            .layer("Subscription").definedBy("io.shopevents.subscription..")
            .layer("Infrastructure").definedBy("io.shopevents.rabbit..", "io.shopevents.store..")
            .layer("Model").definedBy("io.shopevents.event..")
            .layer("Tracing").definedBy("io.shopevents.tracing..")
            .whereLayer("Edge").mayNotBeAccessedByAnyLayer()
            .whereLayer("Steps").mayOnlyBeAccessedByLayers("Edge")
            .whereLayer("Subscription").mayOnlyBeAccessedByLayers("Edge", "Steps")
            .whereLayer("Infrastructure").mayOnlyBeAccessedByLayers("Edge", "Steps", "Subscription")
            .whereLayer("Model").mayOnlyBeAccessedByLayers("Edge", "Steps", "Subscription", "Infrastructure")
            .whereLayer("Tracing").mayOnlyBeAccessedByLayers("Edge", "Steps", "Subscription", "Infrastructure", "Model");

    @ArchTest
    static final ArchRule noCycles = slices().matching("io.shopevents.(*)..").should().beFreeOfCycles();
}
