package org.segmentbridge.delivery;

/** An event an action cannot turn into a request (a required field missing, a value of the wrong type ...). */
public class ActionException extends RuntimeException {

    public ActionException(String message) {
        super(message);
    }
}
