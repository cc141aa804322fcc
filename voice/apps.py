from django.apps import AppConfig


class VoiceConfig(AppConfig):
    """Calls with an expert in the browser (WebRTC, signalled over the live socket) and
    callback slots when nobody is free."""

    name = "voice"

    def ready(self) -> None:
        from gigcx.realtime import message_handler_register
        from voice.signalling import relay_signal

        message_handler_register("call.signal", relay_signal)
