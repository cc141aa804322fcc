from django.urls import path

from voice import api

app_name = "voice"

api_urlpatterns = [
    path("questions/<int:question_id>/call", api.QuestionCallApi.as_view(), name="question-call"),
    path(
        "questions/<int:question_id>/callbacks",
        api.CallbackBookApi.as_view(),
        name="callback-book",
    ),
    path("calls/<int:call_id>/accept", api.CallAcceptApi.as_view(), name="call-accept"),
    path("calls/<int:call_id>/decline", api.CallDeclineApi.as_view(), name="call-decline"),
    path("calls/<int:call_id>/connected", api.CallConnectedApi.as_view(), name="call-connected"),
    path("calls/<int:call_id>/hang-up", api.CallHangUpApi.as_view(), name="call-hang-up"),
    path("calls/<int:call_id>/rating", api.CallRateApi.as_view(), name="call-rate"),
    path("callbacks/<int:slot_id>/take", api.CallbackTakeApi.as_view(), name="callback-take"),
    path("callbacks/<int:slot_id>/call", api.CallbackCallApi.as_view(), name="callback-call"),
    path("expert/calls", api.ExpertCallsApi.as_view(), name="expert-calls"),
    path("expert/callbacks", api.ExpertCallbacksApi.as_view(), name="expert-callbacks"),
]

urlpatterns: list = []
