using IaasApi.Client.Models;

namespace IaasApi.Client.V1.Instances;

public partial class InstancesRequestBuilder
{
    /// <summary>
    /// <c>POST /v1/instances</c> answers one instance (a single create) or a batch (<c>count</c> &gt; 1: <c>items</c> and
    /// the parent operation); the document says <c>anyOf</c> the two, and Kiota fills each alternative with the members
    /// it knows. A member both share (<c>operationId</c>) goes to one alternative only, so these read the answer whole.
    /// </summary>
    public partial class InstancesPostResponse
    {
        /// <summary>The instances the create made: the one of a single create, or the batch's items.</summary>
        public IReadOnlyList<InstanceResponse> Instances =>
            InstanceBatchResponse?.Items is { } items ? items : InstanceResponse?.Id is not null ? [InstanceResponse] : [];

        /// <summary>The operation doing the create's work (for a batch, the parent of one operation per instance).</summary>
        public Guid? OperationId => InstanceBatchResponse?.OperationId ?? InstanceResponse?.OperationId;
    }
}
